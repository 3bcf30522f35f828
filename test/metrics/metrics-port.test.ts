// --listen-metrics-urls: a plain HTTP port that serves /metrics and /health (and
// no JSON gateway), beside the client port; closing the listener closes it too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClientServer } from '../../src/api/grpc/client-server.js';
import { freeLoopbackPort, startServer, type RunningServer } from '../../src/embed/start-server.js';
import { SILENT_LOGGER } from '../../src/log/logger.js';

let member: RunningServer;
let listener: ClientServer;
let metricsUrl: string;
before(async () => {
  member = await startServer();
  const [clientPort, metricsPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  listener = await ClientServer.listen(member.server, [new URL(`http://127.0.0.1:${clientPort}`)], SILENT_LOGGER, {
    metricsUrls: [new URL(metricsUrl)],
  });
});
after(async () => {
  await listener?.close();
  await member?.close();
});

test('the metrics port serves /metrics and /health but not the gateway', async () => {
  const metrics = await fetch(`${metricsUrl}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^etcd_server_has_leader 1$/m);
  const health = await fetch(`${metricsUrl}/health`);
  assert.deepEqual({ status: health.status, body: await health.text() }, { status: 200, body: '{"health":"true","reason":""}' });
  const gateway = await fetch(`${metricsUrl}/v3/kv/range`, { method: 'POST', body: '{"key":"YQ=="}' });
  assert.equal(gateway.status, 404);
  await gateway.arrayBuffer();
});

test('after the listener closes, the metrics port refuses connections', async () => {
  await listener.close();
  await assert.rejects(fetch(`${metricsUrl}/metrics`), TypeError);
});
