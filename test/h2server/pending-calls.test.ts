// The server-wide count of unary calls in progress, which lets the WAL write inline
// while at most one call waits: it rises with each call, falls with each answer,
// and falls for calls whose client reset them or went away, so it never sticks above
// zero (that would turn inline writes off for good) nor drops below it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodePlainBlock, grpcFrame, grpcRequestFields, RawH2Connection } from '../http2/raw-h2-client.js';
import { ECHO_PATHS, startEchoServer, type EchoServer } from './support/echo-grpc-server.js';
import { pollUntil } from './support/h2server-fixture.js';

const TEST_TIMEOUT_MS = 20_000;
const WAIT_MS = 5_000;
const CALL_TIMEOUT_MS = 5_000;
const CANCEL = 0x8;

let echo: EchoServer;

before(async () => {
  echo = await startEchoServer();
});
after(async () => {
  await echo?.close();
});

function sendHold(connection: RawH2Connection, authority: string): number {
  const id = connection.nextStreamId();
  connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(ECHO_PATHS.hold, authority)));
  connection.sendData(id, grpcFrame(Buffer.from('held')), { endStream: true });
  return id;
}

test('answered calls leave the count where it started', { timeout: TEST_TIMEOUT_MS }, async () => {
  const connection = await RawH2Connection.open(echo.port);
  try {
    const ids = [0, 1, 2].map(() => sendHold(connection, `127.0.0.1:${echo.port}`));
    await pollUntil('three calls in progress', () => echo.pendingUnaryCalls() === 3, WAIT_MS);
    echo.releaseHeld();
    for (const id of ids) await connection.waitStreamEnd(id, CALL_TIMEOUT_MS);
    assert.equal(echo.pendingUnaryCalls(), 0);
  } finally {
    await connection.close();
  }
});

test('calls reset by the client, and calls of a client that went away, are no longer counted', { timeout: TEST_TIMEOUT_MS }, async () => {
  const first = await RawH2Connection.open(echo.port);
  const second = await RawH2Connection.open(echo.port);
  try {
    const reset = sendHold(first, `127.0.0.1:${echo.port}`);
    sendHold(first, `127.0.0.1:${echo.port}`);
    sendHold(second, `127.0.0.1:${echo.port}`);
    sendHold(second, `127.0.0.1:${echo.port}`);
    await pollUntil('four calls in progress', () => echo.pendingUnaryCalls() === 4, WAIT_MS);
    first.sendRstStream(reset, CANCEL);
    await pollUntil('the reset call to go', () => echo.pendingUnaryCalls() === 3, WAIT_MS);
    await second.close();
    await pollUntil('the closed connection\'s calls to go', () => echo.pendingUnaryCalls() === 1, WAIT_MS);
    await first.close();
    await pollUntil('no call in progress', () => echo.pendingUnaryCalls() === 0, WAIT_MS);
    // Nothing answers a call that is gone; the count stays at zero.
    echo.releaseHeld();
    assert.equal(echo.pendingUnaryCalls(), 0);
  } finally {
    await first.close();
    await second.close();
  }
});
