// A real `tollgate serve` on a free loopback port (the repository's debug build, or
// TOLLGATE_BINARY), and a clock the tests move.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BINARY = process.env.TOLLGATE_BINARY ?? join(ROOT, '.build', 'debug', 'tollgate');
const ADMIN = 'tga_js-sdk-admin-token-0123456';

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
  });
}

export const temporary = () => mkdtempSync(join(tmpdir(), 'tollgate-js-'));

export class Server {
  static async start(dataDir = join(temporary(), 'data'), port = null) {
    const server = new Server();
    server.dataDir = dataDir;
    server.port = port ?? await freePort();
    server.url = `http://127.0.0.1:${server.port}`;
    const log = openSync(`${dataDir}-${server.port}.log`, 'a');
    server.process = spawn(BINARY, ['serve', '--port', String(server.port), '--data-dir', dataDir], {
      env: { ...process.env, TOLLGATE_ADMIN_TOKEN: ADMIN }, stdio: ['ignore', log, log],
    });
    for (let i = 0; i < 300; i++) {
      try { if ((await fetch(server.url + '/healthz')).status === 200) return server; } catch { /* starting */ }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('tollgate serve did not start');
  }

  async admin(method, path, body = null) {
    const response = await fetch(this.url + path, {
      method, headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: body === null ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** A product with the three preset tiers (cheapest first), a customer and a license under `preset`. */
  async license(preset = 'professional') {
    const product = (await this.admin('POST', '/v1/products', { code: `p${process.hrtime.bigint()}`, name: 'App' })).body;
    const policies = {};
    for (const name of ['community', 'professional', 'enterprise']) {
      policies[name] = (await this.admin('POST', `/v1/policies/presets/${name}`, { productId: product.id })).body;
    }
    const policy = policies[preset];
    const customer = (await this.admin('POST', '/v1/customers', { name: 'Acme' })).body;
    return (await this.admin('POST', '/v1/licenses', { policyId: policy.id, customerId: customer.id })).body;
  }

  async jwks() { return (await this.admin('GET', '/.well-known/jwks.json')).body; }

  async stop() {
    if (this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    await exited;
  }
}

/** The client's clock: real time at the start, moved by the tests. */
export function movableClock() {
  let offset = 0;
  const now = () => Date.now() / 1000 + offset;
  now.advance = ({ days = 0, seconds = 0 }) => { offset += days * 86_400 + seconds; };
  return now;
}
