// A graceful stop does not wait on an open HTTP watch: the stream ends with
// grpc-gateway's error chunk ("server stopped", 503) and the stop completes promptly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../../src/embed/start-server.js';
import { GRACEFUL_STOP_TIMEOUT_MS } from '../../src/server/server-options.js';

test('stopping the member ends an HTTP watch with an error line instead of waiting out the grace period', async () => {
  const member = await startServer();
  let closing: Promise<void> | null = null;
  try {
    const response = await fetch(`${member.clientUrl}/v3/watch`, { method: 'POST', body: '{"create_request":{"key":"YQ=="}}' });
    assert.ok(response.body);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    assert.match(decoder.decode((await reader.read()).value), /"created":true/);
    const startedMs = Date.now();
    closing = member.close();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += decoder.decode(chunk.value);
    assert.deepEqual(JSON.parse(rest), {
      error: { grpc_code: 14, http_code: 503, message: 'etcdserver: server stopped', http_status: 'Service Unavailable' },
    });
    await closing;
    assert.ok(Date.now() - startedMs < GRACEFUL_STOP_TIMEOUT_MS, 'the stop did not wait for the grace period');
  } finally {
    await (closing ?? member.close());
  }
});
