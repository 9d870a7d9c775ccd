// The client an app embeds, and its heartbeat worker.
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, hostname, platform } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { allowsUse, initialStatus, reasonFor, Rules } from './state.js';
import { Storage } from './storage.js';
import { UsageBuffer } from './usage.js';
import { parseTime, VerificationError, Verifier } from './verify.js';


/** A request the server refused (`status`, `code`) or could not answer (`status` null). */
export class TollgateError extends Error {
  constructor(message, { status = null, code = null } = {}) {
    super(message);
    this.name = 'TollgateError';
    this.status = status;
    this.code = code;
  }
}

export class LicenseNotUsable extends TollgateError {
  constructor(state) {
    super(`The license is not usable (${state.reason ?? state.kind}).`, { code: state.reason ?? 'INACTIVE' });
    this.name = 'LicenseNotUsable';
    this.state = state;
  }
}

/** The license lacks `feature`; `requiredTier` is the cheapest tier that has it. */
export class FeatureRequired extends TollgateError {
  constructor(feature, currentTier, requiredTier) {
    super(`The feature "${feature}" is not included in the ${currentTier ?? 'current'} tier.${requiredTier ? ` It is included in ${requiredTier}.` : ''}`, { code: 'FEATURE_NOT_ENTITLED' });
    this.name = 'FeatureRequired';
    Object.assign(this, { feature, currentTier, requiredTier });
  }
}

/** HMAC-SHA256(product id, the platform's machine id) in hex; the raw id never leaves the machine. */
export function machineFingerprint(productId) {
  let raw = null;
  for (const path of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try { raw = readFileSync(path, 'utf8').trim() || null; } catch { /* next */ }
    if (raw) break;
  }
  if (!raw && platform() === 'darwin') {
    try { raw = /"IOPlatformUUID" = "([^"]+)"/.exec(execFileSync('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'], { encoding: 'utf8' }))?.[1] ?? null; } catch { /* none */ }
  }
  if (!raw && platform() === 'win32') {
    try { raw = /MachineGuid\s+REG_SZ\s+(\S+)/.exec(execFileSync('reg', ['query', 'HKLM\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid'], { encoding: 'utf8' }))?.[1] ?? null; } catch { /* none */ }
  }
  return raw ? createHmac('sha256', productId).update(raw).digest('hex') : null;
}

const json = (bytes) => { try { const v = JSON.parse(Buffer.from(bytes).toString('utf8')); return v && typeof v === 'object' ? v : {}; } catch { return {}; } };

/**
 * Activates this machine, validates online (signed, nonce-checked answers) or from the stored
 * signed file, answers feature and limit checks from memory, beats, and buffers usage.
 */
export class Client {
  constructor({ serverUrl, productId, jwks, storageDir, fingerprint = null, machineName = null, now = () => Date.now() / 1000,
    timeout = 10, rules = new Rules(), tiers = null, usagePath = '/v1/usage/events' }) {
    // tiers: cheapest first ({ name, entitlements, limits, maxMachines }); null: the product's policies as the
    // server lists them (GET /v1/products/{id}/tiers), fetched after activation and kept on disk.
    Object.assign(this, { serverUrl: serverUrl.replace(/\/$/, ''), productId, fingerprint, machineName, now, timeout, rules, configuredTiers: tiers, usagePath });
    this.verifier = new Verifier(jwks);
    this.storage = new Storage(storageDir);
    this.handlers = [];
    this.activation = this.storage.readJSON(Storage.ACTIVATION);
    const stored = this.storage.readJSON(Storage.STATUS);
    this.status = stored && this.activation ? stored : initialStatus();
    this.claims = null;
    this.serverTiers = this.storage.readJSON(Storage.TIERS) ?? [];
    this.entitlements = new Set();
    if (this.activation) this.adopt(this.activation.token);
    this.usage = new UsageBuffer(join(storageDir, 'usage'), (body, key) => this.sendUsage(body, key), { now });
  }

  get state() { return this.status.state; }

  /** Whether the license may be used now and includes `feature` (memory only). */
  isEntitled(feature) { return allowsUse(this.status.state) && (this.entitlements.has(feature) || this.entitlements.has('*')); }

  /** Throws FeatureRequired (naming the tier that has it) or LicenseNotUsable. */
  require(feature) {
    if (!allowsUse(this.state)) throw new LicenseNotUsable(this.state);
    if (!this.isEntitled(feature)) {
      const tier = this.tiers.find((t) => t.entitlements.includes(feature) || t.entitlements.includes('*'));
      throw new FeatureRequired(feature, this.claims?.tier ?? null, tier?.name ?? null);
    }
  }

  /** The license's limit `code` from the machine token (maxMachines included): a number or "unlimited"; null when it has no such limit. */
  limit(code) { return this.claims?.limits?.[code] ?? null; }

  /** Whether limit `code` resets, and how often: none, hour, day, month or year. */
  limitPeriod(code) { return this.claims?.limitPeriods?.[code] ?? 'none'; }

  /** The tiers upgrade prompts name: the configured ones, or the server's. */
  get tiers() { return this.configuredTiers ?? this.serverTiers; }

  /** The first tier (cheapest first) whose limit `code` is above `than` or unlimited; null when none. */
  tierWithMore(code, than) {
    const tier = this.tiers.find((t) => {
      const value = code === 'maxMachines' ? (t.maxMachines ?? 'unlimited') : t.limits?.[code];
      return value === 'unlimited' || (Number.isInteger(value) && value > than);
    });
    return tier?.name ?? null;
  }

  /** Fetches the product's tiers (with the machine token) and keeps them on disk. */
  async refreshTiers() {
    if (!this.activation) throw new LicenseNotUsable(this.state);
    const reply = await this.request('GET', `/v1/products/${this.productId}/tiers`, null, `Bearer ${this.activation.token}`, { required: true });
    this.serverTiers = (json(reply.body).data ?? []).map((t) => ({ name: t.name, entitlements: t.entitlements ?? [], limits: t.limits ?? {}, maxMachines: t.maxMachines ?? null }));
    this.storage.writeJSON(Storage.TIERS, this.serverTiers);
    return this.serverTiers;
  }

  /** Calls `handler(state)` whenever the client becomes failed. */
  onFailure(handler) { this.handlers.push(handler); }

  /** Activates this machine with `key`, stores its token and a signed machine file. */
  async activate(key) {
    const fingerprint = this.fingerprint ?? machineFingerprint(this.productId);
    if (!fingerprint) throw new TollgateError('This platform has no stable machine id: pass fingerprint.');
    const body = { fingerprint, name: this.machineName ?? hostname(), hostname: hostname(), platform: platform(), cores: cpus().length || 1 };
    const answer = await this.request('POST', '/v1/machines', body, `License ${key}`, { required: true });
    const object = json(answer.body);
    const claims = this.verifier.token(object.token);
    this.activation = {
      licenseKey: key, licenseId: claims.license, machineId: claims.machine, fingerprint, token: object.token,
      floating: object.license?.limits?.maxMachines !== 1, heartbeatIntervalSeconds: object.machine?.heartbeatIntervalSeconds ?? null,
    };
    this.storage.writeJSON(Storage.ACTIVATION, this.activation);
    this.adopt(object.token);
    await this.refreshFile();
    if (this.configuredTiers === null) await this.refreshTiers().catch(() => {});
    const check = this.checkFile();
    const grace = check.verified ? check.offlineGraceDays : this.status.offlineGraceDays;
    return this.apply(this.rules.confirmed(this.status, this.serverTime(answer.headers), this.now(), grace));
  }

  /** Online when the server answers with a signed answer to this request, else from the stored file. Never throws. */
  async validate() {
    if (!this.activation) return this.state;
    const nonce = randomBytes(16).toString('hex');
    const body = { key: this.activation.licenseKey, nonce, scope: { productId: this.productId, fingerprint: this.activation.fingerprint } };
    let answer;
    try {
      const reply = await this.request('POST', '/v1/licenses/validate', body);
      if (reply.status !== 200) return this.judgeOffline();
      answer = this.verifier.validationAnswer(reply.body, reply.headers.get('tollgate-signature'), nonce);
    } catch (error) {
      if (error instanceof TollgateError || error instanceof VerificationError) return this.judgeOffline();
      throw error;
    }
    if (answer.valid) {
      if (this.fileNeedsRefresh() || (this.configuredTiers === null && this.serverTiers.length === 0)) {
        await this.refreshFile().catch(() => {});
        if (this.configuredTiers === null) await this.refreshTiers().catch(() => {});
      }
      const grace = answer.license?.offlineGraceDays ?? this.status.offlineGraceDays;
      return this.apply(this.rules.confirmed(this.status, answer.serverTime ?? this.now(), this.now(), grace));
    }
    return this.apply(this.rules.refused(this.status, reasonFor(answer.code) ?? answer.code));
  }

  /** Judges from the stored signed file, without the server. */
  judgeOffline() { return this.apply(this.rules.offline(this.status, this.now(), this.checkFile())); }

  /** One heartbeat: 'confirmed' (fresh token), 'refused' (client failed) or 'unreachable'. */
  async beat() {
    if (!this.activation) return 'refused';
    let reply = null;
    try { reply = await this.request('POST', `/v1/machines/${this.activation.machineId}/heartbeat`, null, `Bearer ${this.activation.token}`); } catch { /* unreachable */ }
    if (!reply || reply.status >= 500) { this.judgeOffline(); return 'unreachable'; }
    const object = json(reply.body);
    if (reply.status === 200 && object.valid === true && object.token) {
      try { this.verifier.token(object.token); } catch { this.judgeOffline(); return 'unreachable'; }
      this.activation = { ...this.activation, token: object.token };
      this.storage.writeJSON(Storage.ACTIVATION, this.activation);
      this.adopt(object.token);
      this.apply(this.rules.confirmed(this.status, this.serverTime(reply.headers), this.now(), this.status.offlineGraceDays));
      return 'confirmed';
    }
    const error = object.error ?? {};
    let reason = reasonFor(error.code ?? object.code ?? '') ?? error.code ?? object.code ?? `HTTP_${reply.status}`;
    const byStatus = reasonFor(String(error.licenseStatus ?? '').toUpperCase());
    if (error.code === 'TOKEN_REVOKED' && byStatus && byStatus !== 'DEACTIVATED') reason = byStatus;
    this.apply(this.rules.refused(this.status, reason));
    return 'refused';
  }

  /** Frees this machine's seat on the server and forgets the activation. */
  async deactivate() {
    if (!this.activation) return;
    const reply = await this.request('DELETE', `/v1/machines/${this.activation.machineId}`, null, `Bearer ${this.activation.token}`);
    if (reply.status >= 300 && reply.status !== 404) throw new TollgateError(json(reply.body).error?.message ?? 'refused', { status: reply.status, code: json(reply.body).error?.code });
    this.storage.remove(Storage.ACTIVATION);
    this.storage.remove(Storage.LICENSE_FILE);
    this.activation = null;
    this.claims = null;
    this.serverTiers = this.storage.readJSON(Storage.TIERS) ?? [];
    this.entitlements = new Set();
    this.apply(this.rules.deactivated(this.status));
  }

  /** Records usage: on disk (fsync) before it returns; sent by flushUsage(). */
  record(meter, quantity = 1) {
    this.usage.record(meter, quantity, { licenseId: this.activation?.licenseId, machineId: this.activation?.machineId });
  }

  flushUsage() { return this.usage.flush(); }

  usedThisMonth(meter) { return this.usage.usedThisMonth(meter); }

  /**
   * Runs `body` holding one of the license's concurrentExecutions slots (a lease), renewed at half
   * its TTL and returned after, whether `body` threw or not. Throws TollgateError with code
   * CONCURRENCY_LIMIT_EXCEEDED when all are taken, or with status null when unreachable.
   */
  async withExecutionSlot(body, { ttlSeconds = 300, holder = null } = {}) {
    if (!this.activation || !allowsUse(this.state)) throw new LicenseNotUsable(this.state);
    const path = `/v1/licenses/${this.activation.licenseId}/leases`;
    const taken = await this.request('POST', path, { ttlSeconds, ...(holder ? { holder } : {}) }, `Bearer ${this.activation.token}`, { required: true });
    const lease = json(taken.body).id;
    const renewer = setInterval(() => {
      this.request('POST', `${path}/${lease}/actions/renew`, { ttlSeconds }, `Bearer ${this.activation?.token}`).catch(() => {});
    }, (ttlSeconds / 2) * 1000);
    renewer.unref();
    try {
      return await body(lease);
    } finally {
      clearInterval(renewer);
      await this.request('DELETE', `${path}/${lease}`, null, `Bearer ${this.activation?.token}`).catch(() => {});
    }
  }

  // Internals

  apply(status) {
    const before = this.status;
    this.status = status;
    if (JSON.stringify(status) !== JSON.stringify(before)) this.storage.writeJSON(Storage.STATUS, status);
    if (status.state.kind === 'failed' && JSON.stringify(before.state) !== JSON.stringify(status.state)) {
      for (const handler of [...this.handlers]) handler(status.state);
    }
    return status.state;
  }

  adopt(token) {
    try {
      this.claims = this.verifier.token(token);
      this.entitlements = new Set(this.claims.entitlements);
    } catch { /* kept */ }
  }

  checkFile() {
    const data = this.storage.read(Storage.LICENSE_FILE);
    if (!this.activation || data === null) return { verified: false, code: 'MISSING' };
    try {
      const content = this.verifier.licenseFile(data.toString('utf8'), this.now(), { licenseKey: this.activation.licenseKey, fingerprint: this.activation.fingerprint });
      return {
        verified: true, issuedAt: parseTime(content.issuedAt), offlineGraceDays: content.license.offlineGraceDays,
        licenseStatus: content.license.status, licenseExpiresAt: parseTime(content.license.expiresAt ?? null),
      };
    } catch (error) {
      if (error instanceof VerificationError) return { verified: false, code: error.code };
      throw error;
    }
  }

  fileNeedsRefresh() {
    const check = this.checkFile();
    return !check.verified || this.now() - check.issuedAt > this.rules.refreshAge;
  }

  /** Checks out a machine file for the whole offline window and its grace, encrypted to this machine. */
  async refreshFile() {
    const days = this.status.offlineGraceDays + this.rules.extraGraceDays;
    const reply = await this.request('POST', `/v1/machines/${this.activation.machineId}/actions/check-out`,
      { encrypt: true, ttlSeconds: Math.min(365, Math.max(1, days)) * 86_400 }, `Bearer ${this.activation.token}`, { required: true });
    this.storage.write(Storage.LICENSE_FILE, json(reply.body).file);
  }

  serverTime(headers) {
    const date = Date.parse(headers.get('date') ?? '');
    return Number.isNaN(date) ? this.now() : date / 1000;
  }

  async sendUsage(body, key) {
    const token = this.activation?.token;
    try {
      return (await this.request('POST', this.usagePath, body, token ? `Bearer ${token}` : null, { headers: { 'Idempotency-Key': key } })).status;
    } catch { return null; }
  }

  /** `{status, headers, body (Buffer)}`; throws TollgateError when unreachable, or for a non-2xx answer when `required`. */
  async request(method, path, body = null, authorization = null, { required = false, headers = {} } = {}) {
    const fields = { ...headers };
    if (body !== null) fields['Content-Type'] = 'application/json';
    if (authorization) fields.Authorization = authorization;
    let response, bytes;
    try {
      response = await fetch(this.serverUrl + path, {
        method, headers: fields, body: body === null ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.timeout * 1000),
      });
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      throw new TollgateError(`The server could not be reached: ${error.message}`);
    }
    if (required && response.status >= 300) {
      const error = json(bytes).error ?? {};
      throw new TollgateError(error.message ?? `HTTP ${response.status}`, { status: response.status >= 500 ? null : response.status, code: error.code ?? null });
    }
    return { status: response.status, headers: response.headers, body: bytes };
  }
}

/**
 * Beats every `interval` seconds while the server confirms; backs off exponentially with jitter
 * (from `initialBackoff`, doubling, capped at `interval`) while it cannot be reached; stops at a
 * refusal (the client is failed and its handlers ran). `stop()` (graceful shutdown) sends
 * buffered usage and deactivates a floating machine.
 */
export class HeartbeatWorker {
  constructor(client, { interval = null, initialBackoff = 1, deactivateOnShutdown = true, sleep = null } = {}) {
    this.client = client;
    this.interval = interval ?? client.activation?.heartbeatIntervalSeconds ?? 600;
    Object.assign(this, { initialBackoff, deactivateOnShutdown });
    this.controller = new AbortController();
    /** Waits `seconds`; resolves true to stop (tests record delays instead). */
    this.sleep = sleep ?? ((seconds) => new Promise((resolve) => {
      if (this.controller.signal.aborted) return resolve(true);
      const timer = setTimeout(() => resolve(false), seconds * 1000);
      this.controller.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(true); }, { once: true });
    }));
    this.running = null;
  }

  backoff(failures, jitter = 0.5 + Math.random() / 2) {
    return Math.min(this.initialBackoff * 2 ** Math.min(Math.max(failures - 1, 0), 30), this.interval) * jitter;
  }

  /** Beats until stopped or refused. */
  async run() {
    let failures = 0;
    while (!this.controller.signal.aborted) {
      let delay = this.interval;
      if (this.client.activation) {
        const outcome = await this.client.beat();
        if (outcome === 'refused') return;
        if (outcome === 'confirmed') { failures = 0; await this.client.flushUsage(); } else { failures += 1; delay = this.backoff(failures); }
      }
      if (await this.sleep(delay)) break;
    }
  }

  start() { this.running = this.run(); return this; }

  /** Stops beating, sends buffered usage and deactivates a floating machine. */
  async stop() {
    this.controller.abort();
    await this.running;
    await this.client.flushUsage();
    if (this.deactivateOnShutdown && this.client.activation?.floating) await this.client.deactivate().catch(() => {});
  }
}

