// The client against a real `tollgate serve` over loopback.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, FeatureRequired, HeartbeatWorker, TollgateError, allowsUse } from '../src/index.js';
import { freePort, movableClock, Server, temporary } from './server.js';

let server;
before(async () => { server = await Server.start(); });
after(async () => { await server.stop(); });

async function makeClient(license, { storageDir = temporary(), url = server.url, now = movableClock(), ...options } = {}) {
  return new Client({ serverUrl: url, productId: license.productId, jwks: await server.jwks(), storageDir, fingerprint: 'fp-js', now, timeout: 2, ...options });
}

async function activatedThenOffline() {
  const license = await server.license();
  const now = movableClock();
  const online = await makeClient(license, { now });
  await online.activate(license.key);
  const offline = await makeClient(license, { storageDir: online.storage.directory, url: `http://127.0.0.1:${await freePort()}`, now });
  return { license, online, offline, now };
}

const mode = (path) => statSync(path).mode & 0o777;

test('activation stores the token and file and validates online', async () => {
  const license = await server.license();
  const now = movableClock();
  const client = await makeClient(license, { now });
  assert.equal(client.state.kind, 'inactive');
  assert.ok(allowsUse(await client.activate(license.key)));
  const state = await client.validate();
  assert.ok(state.kind === 'valid' && state.online && Math.abs(state.offlineUntil - (now() + 30 * 86_400)) < 5);
  for (const name of ['machine.json', 'license-file.lic', 'status.json']) assert.equal(mode(join(client.storage.directory, name)), 0o600, name);
  assert.equal(mode(client.storage.directory), 0o700);
  assert.ok(client.isEntitled('core') && !client.isEntitled('sso'));
  assert.throws(() => client.require('sso'), (error) => error instanceof FeatureRequired
    && error.feature === 'sso' && error.currentTier === 'Professional' && error.requiredTier === 'Enterprise');
  assert.equal(client.limit('concurrentExecutions'), 10);
  assert.equal(client.limit('maxMachines'), 5);
  assert.equal(client.limit('nothing'), null);
  assert.equal(client.limitPeriod('executionsPerMonth'), 'month');
  // Upgrade prompts come from the server's tiers of the product, not a table in the SDK.
  assert.equal(client.tierWithMore('executionsPerMonth', 100000), 'Enterprise');
  assert.equal(client.tierWithMore('requestsPerSecond', 5000), null);
  const again = await makeClient(license, { storageDir: client.storage.directory });
  assert.ok(again.activation.machineId === client.activation.machineId && again.isEntitled('core'));
});

test('offline it runs through 30 days and 7 days of grace, then fails closed', async () => {
  const { license, online, offline, now } = await activatedThenOffline();
  const start = now();
  now.advance({ days: 29 });
  const state = await offline.validate();
  assert.ok(state.kind === 'valid' && !state.online && Math.abs(state.offlineUntil - (start + 30 * 86_400)) < 5);
  now.advance({ days: 2 });
  const grace = await offline.validate();
  assert.ok(grace.kind === 'grace' && allowsUse(grace) && offline.isEntitled('core'));
  now.advance({ days: 6 });
  assert.deepEqual(await offline.validate(), { kind: 'failed', reason: 'OFFLINE_TOO_LONG' });
  assert.ok(!offline.isEntitled('core'));
  const back = await makeClient(license, { storageDir: online.storage.directory, now });
  assert.ok(allowsUse(await back.validate()));
});

test('a clock set back is reported as tampering', async () => {
  const { offline, now } = await activatedThenOffline();
  now.advance({ days: 10 });
  assert.ok(allowsUse(await offline.validate()));
  now.advance({ days: -3 });
  assert.deepEqual(await offline.validate(), { kind: 'failed', reason: 'CLOCK_TAMPERED' });
  now.advance({ days: 3 });
  assert.ok(allowsUse(await offline.validate()));
});

test('a suspension is seen by the heartbeat and the handler is called', async () => {
  const license = await server.license();
  const client = await makeClient(license);
  await client.activate(license.key);
  const seen = [];
  const called = new Promise((resolve) => client.onFailure((state) => { seen.push(state); resolve(); }));
  const worker = new HeartbeatWorker(client, { interval: 0.3, deactivateOnShutdown: false }).start();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal((await server.admin('POST', `/v1/licenses/${license.id}/actions/suspend`)).status, 200);
  // The server answers plain beats from a snapshot for up to 2 s; the interval here is 0.3 s.
  await Promise.race([called, new Promise((_, reject) => setTimeout(() => reject(new Error('no handler call')), 6000))]);
  assert.deepEqual(seen, [{ kind: 'failed', reason: 'SUSPENDED' }]);
  assert.ok(!client.isEntitled('core'));
  await worker.running; // it stops at a refusal
});

test('backoff while the server is down and recovery after', async () => {
  const own = await Server.start();
  const license = await own.license();
  const client = new Client({ serverUrl: own.url, productId: license.productId, jwks: await own.jwks(), storageDir: temporary(), fingerprint: 'fp-js', timeout: 2 });
  await client.activate(license.key);
  await own.stop();
  const delays = [];
  let restarted = null;
  const worker = new HeartbeatWorker(client, {
    interval: 600,
    sleep: async (delay) => {
      delays.push(delay);
      if (delays.length === 5) restarted = await Server.start(own.dataDir, own.port);
      return delays.length === 7;
    },
  });
  await worker.run();
  delays.slice(0, 4).forEach((delay, index) => assert.ok(delay >= 2 ** index * 0.5 && delay <= 2 ** index, `${index}: ${delay}`));
  assert.deepEqual(delays.slice(5), [600, 600]);
  assert.ok(allowsUse(client.state));
  await restarted.stop();
});

test('stopping the worker deactivates a floating machine', async () => {
  const license = await server.license();
  const client = await makeClient(license);
  await client.activate(license.key);
  const machine = client.activation.machineId;
  const worker = new HeartbeatWorker(client, { interval: 600 }).start();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await worker.stop();
  assert.ok(client.activation === null && client.state.kind === 'inactive');
  assert.equal((await server.admin('GET', `/v1/machines/${machine}`)).body.status, 'deactivated');
});

test('an execution slot is a lease that comes back', async () => {
  const license = await server.license(); // Professional: 10 concurrent executions
  const client = await makeClient(license);
  await client.activate(license.key);
  const held = async () => (await server.admin('GET', `/v1/licenses/${license.id}/leases`)).body.data.length;
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  let entered = 0;
  const jobs = Array.from({ length: 10 }, () => client.withExecutionSlot(async () => { entered += 1; await released; }, { holder: 'job' }));
  for (let i = 0; i < 200 && entered < 10; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(await held(), 10);
  await assert.rejects(client.withExecutionSlot(async () => {}), (error) => error instanceof TollgateError && error.code === 'CONCURRENCY_LIMIT_EXCEEDED');
  release();
  await Promise.all(jobs);
  assert.equal(await held(), 0);
  await assert.rejects(client.withExecutionSlot(async () => { throw new RangeError('boom'); }), RangeError);
  assert.equal(await client.withExecutionSlot(async () => held()), 1);
  assert.equal(await held(), 0);
});
