// Splits one watch response whose encoding reaches the size limit into several,
// all but the last marked `fragment`, never splitting an event (etcd's sendFragments).
import { WatchResponse } from '../generated/etcdserverpb/rpc.js';
import { Event } from '../generated/mvccpb/kv.js';
import { varintBytes } from '../util/proto-field-writer.js';

/** Bytes an event adds to a response: tag, length prefix, body. */
function eventFieldBytes(event: Event): number {
  const body = Event.encode(event).finish().length;
  return 1 + varintBytes(body) + body;
}

export function fragmentResponse(response: WatchResponse, maxBytes: number): WatchResponse[] {
  if (response.events.length < 2) return [response];
  const sizes = response.events.map(eventFieldBytes);
  const baseBytes = WatchResponse.encode({ ...response, events: [] }).finish().length;
  if (sizes.reduce((sum, size) => sum + size, baseBytes) < maxBytes) return [response];
  const fragmentBaseBytes = WatchResponse.encode({ ...response, events: [], fragment: true }).finish().length;
  const parts: WatchResponse[] = [];
  let index = 0;
  // Each pass takes at least one event, so this ends after at most events.length parts.
  while (index < response.events.length) {
    let bytes = fragmentBaseBytes;
    const start = index;
    for (; index < response.events.length; index++) {
      const size = sizes[index] as number;
      // The first event always goes in, however large: an event is never split.
      if (index > start && bytes + size >= maxBytes) break;
      bytes += size;
    }
    parts.push({ ...response, events: response.events.slice(start, index), fragment: index < response.events.length });
  }
  return parts;
}
