// The durable usage buffer against a local stand-in for the metering endpoint (which arrives with
// the metering issue): accepts a batch once per Idempotency-Key, can fail or lose its answers.
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client, UsageBuffer } from '../src/index.js';
import { temporary } from './server.js';

async function endpoint() {
  const state = { mode: 'accept', keys: [], counts: new Map(), meters: new Map() };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const key = request.headers['idempotency-key'];
      if ((state.mode === 'accept' || state.mode === 'lose') && !state.keys.includes(key)) {
        state.keys.push(key);
        for (const event of JSON.parse(body).events) {
          state.counts.set(event.id, (state.counts.get(event.id) ?? 0) + 1);
          state.meters.set(event.id, event.meter);
        }
      }
      response.writeHead({ accept: 202, lose: 503, down: 503, reject: 400 }[state.mode]).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${server.address().port}`;
  state.stop = () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
  return state;
}

function buffer(directory, url, chunkSize = 500) {
  // The client's own sender, pointed at the stand-in.
  const client = new Client({ serverUrl: url, productId: 'prd_x', jwks: { keys: [] }, storageDir: join(directory, 'client'), fingerprint: 'fp', timeout: 2 });
  return new UsageBuffer(join(directory, 'usage'), (body, key) => client.sendUsage(body, key), { chunkSize });
}

test('an event is on disk when record returns and is sent once', async () => {
  const remote = await endpoint();
  const directory = temporary();
  const usage = buffer(directory, remote.url);
  for (let i = 0; i < 3; i++) usage.record('executions', 1);
  assert.equal(buffer(directory, remote.url).pendingEvents.length, 3);
  assert.deepEqual(await usage.flush(), { sent: 3, pending: 0, rejected: 0 });
  assert.ok(remote.counts.size === 3 && [...remote.counts.values()].every((n) => n === 1));
  assert.deepEqual(await usage.flush(), { sent: 0, pending: 0, rejected: 0 });
  await remote.stop();
});

test('an outage keeps events until the endpoint is back', async () => {
  const remote = await endpoint();
  const directory = temporary();
  const usage = buffer(directory, remote.url);
  remote.mode = 'down';
  usage.record('executions', 1);
  assert.deepEqual(await usage.flush(), { sent: 0, pending: 1, rejected: 0 });
  usage.record('executions', 2);
  await remote.stop();
  assert.deepEqual(await usage.flush(), { sent: 0, pending: 2, rejected: 0 });
  const back = await endpoint();
  assert.deepEqual(await buffer(directory, back.url).flush(), { sent: 2, pending: 0, rejected: 0 });
  assert.equal(back.counts.size, 2);
  await back.stop();
});

test('a lost answer is resent under the same key and counted once', async () => {
  const remote = await endpoint();
  const usage = buffer(temporary(), remote.url, 2);
  for (let i = 0; i < 5; i++) usage.record('executions', 1);
  remote.mode = 'lose';
  assert.deepEqual(await usage.flush(), { sent: 0, pending: 5, rejected: 0 });
  const first = [...remote.keys];
  remote.mode = 'accept';
  assert.deepEqual(await usage.flush(), { sent: 5, pending: 0, rejected: 0 });
  assert.ok(first.length === 1 && remote.keys[0] === first[0] && new Set(remote.keys).size === 3);
  assert.ok(remote.counts.size === 5 && [...remote.counts.values()].every((n) => n === 1));
  await remote.stop();
});

test('a crash loses nothing and duplicates nothing', async () => {
  const remote = await endpoint();
  const directory = temporary();
  const crashed = buffer(directory, remote.url);
  crashed.record('a', 1);
  crashed.seal(); // crash after sealing, before sending
  crashed.record('b', 1);
  appendFileSync(join(directory, 'usage', UsageBuffer.JOURNAL), '{"id":"torn'); // crash inside a line
  const restarted = buffer(directory, remote.url);
  restarted.record('c', 1);
  assert.deepEqual(await restarted.flush(), { sent: 3, pending: 0, rejected: 0 });
  assert.deepEqual([...remote.meters.values()].sort(), ['a', 'b', 'c']);
  assert.ok([...remote.counts.values()].every((n) => n === 1));
  await remote.stop();
});

test('a batch refused for good is set aside', async () => {
  const remote = await endpoint();
  const directory = temporary();
  const usage = buffer(directory, remote.url);
  remote.mode = 'reject';
  usage.record('bad', 1);
  assert.deepEqual(await usage.flush(), { sent: 0, pending: 0, rejected: 1 });
  remote.mode = 'accept';
  usage.record('good', 1);
  assert.deepEqual(await usage.flush(), { sent: 1, pending: 0, rejected: 0 });
  assert.ok(readdirSync(join(directory, 'usage')).some((name) => name.startsWith('rejected-batch-')));
  assert.ok(usage.usedThisMonth('bad') === 1 && usage.usedThisMonth('good') === 1);
  await remote.stop();
});
