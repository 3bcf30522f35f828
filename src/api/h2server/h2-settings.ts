// SETTINGS (RFC 9113 6.5): what the peer told us, checked as the RFC requires, and
// the frame that tells the peer ours.
import { ErrorCode, FRAME_PAYLOAD_BYTES_DEFAULT, FRAME_PAYLOAD_BYTES_LIMIT, FrameType, Http2ConnectionError, SettingId, WINDOW_BYTES_DEFAULT, WINDOW_BYTES_LIMIT, frameOf } from './h2-protocol.js';

const SETTING_BYTES = 6;

/** The peer's settings that shape what we send. */
export interface PeerSettings {
  initialWindowBytes: number;
  maxFramePayloadBytes: number;
}

export function defaultPeerSettings(): PeerSettings {
  return { initialWindowBytes: WINDOW_BYTES_DEFAULT, maxFramePayloadBytes: FRAME_PAYLOAD_BYTES_DEFAULT };
}

/** Applies a SETTINGS payload; returns the change of INITIAL_WINDOW_SIZE (to apply to open streams). */
export function applyPeerSettings(settings: PeerSettings, payload: Buffer): number {
  if (payload.length % SETTING_BYTES !== 0) throw new Http2ConnectionError(ErrorCode.frameSize, 'SETTINGS length not a multiple of 6');
  let windowDelta = 0;
  // Bounded by the frame's length (itself bounded by our MAX_FRAME_SIZE).
  for (let at = 0; at < payload.length; at += SETTING_BYTES) {
    const id = payload.readUInt16BE(at);
    const value = payload.readUInt32BE(at + 2);
    switch (id) {
      case SettingId.enablePush:
        if (value > 1) throw new Http2ConnectionError(ErrorCode.protocol, 'SETTINGS_ENABLE_PUSH above 1');
        break;
      case SettingId.initialWindowSize:
        if (value > WINDOW_BYTES_LIMIT) throw new Http2ConnectionError(ErrorCode.flowControl, 'SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1');
        windowDelta += value - settings.initialWindowBytes;
        settings.initialWindowBytes = value;
        break;
      case SettingId.maxFrameSize:
        if (value < FRAME_PAYLOAD_BYTES_DEFAULT || value > FRAME_PAYLOAD_BYTES_LIMIT) throw new Http2ConnectionError(ErrorCode.protocol, 'SETTINGS_MAX_FRAME_SIZE out of range');
        settings.maxFramePayloadBytes = value;
        break;
      default:
        // HEADER_TABLE_SIZE needs nothing (our encoder never indexes); the rest do not limit a server.
        break;
    }
  }
  return windowDelta;
}

/** Our SETTINGS frame; a value of null is left at its default (not sent). */
export function settingsFrame(values: ReadonlyArray<readonly [id: number, value: number | null]>): Buffer {
  const present = values.filter((entry): entry is readonly [number, number] => entry[1] !== null);
  const payload = Buffer.allocUnsafe(present.length * SETTING_BYTES);
  present.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * SETTING_BYTES);
    payload.writeUInt32BE(value >>> 0, i * SETTING_BYTES + 2);
  });
  return frameOf(FrameType.settings, 0, 0, payload);
}
