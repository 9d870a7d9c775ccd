// Usage events kept on disk until the server has them: a crash or an outage neither loses nor
// duplicates one (the design and files of the Swift SDK's UsageBuffer).
// - record() appends a JSON line to usage/journal.jsonl and fsyncs before returning.
// - flush() seals the journal (atomic rename to batch-<time>-<uuid>.jsonl) and sends each sealed
//   file in chunks; a chunk's Idempotency-Key is the file's name and the chunk's index, so a resend
//   is the same request. A file is deleted once every chunk was accepted (2xx); a 4xx other than
//   408 and 429 moves it to rejected-…; anything else keeps it for the next flush.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Storage, syncDirectory } from './storage.js';

const iso = (seconds) => new Date(Math.floor(seconds) * 1000).toISOString().replace('.000Z', 'Z');
const monthKey = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 7);

export class UsageBuffer {
  static JOURNAL = 'journal.jsonl';
  static MONTH = 'month.json';

  /** `send(body, idempotencyKey)` resolves to the HTTP status, or null when unreachable. */
  constructor(directory, send, { now = () => Date.now() / 1000, chunkSize = 500 } = {}) {
    this.storage = new Storage(directory);
    this.directory = directory;
    this.send = send;
    this.now = now;
    this.chunkSize = chunkSize;
    this.flushing = false;
    this.month = this.storage.readJSON(UsageBuffer.MONTH) ?? { month: monthKey(now()), totals: {} };
    this.endTornLine();
  }

  get journal() { return join(this.directory, UsageBuffer.JOURNAL); }

  endTornLine() {
    if (!existsSync(this.journal) || statSync(this.journal).size === 0) return;
    const fd = openSync(this.journal, 'r+');
    try {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, statSync(this.journal).size - 1);
      if (last[0] !== 0x0a) { writeSync(fd, '\n', statSync(this.journal).size); fsyncSync(fd); }
    } finally { closeSync(fd); }
  }

  /** Appends an event; it is on disk (fsync) when this returns. */
  record(meter, quantity = 1, { licenseId = null, machineId = null } = {}) {
    const now = this.now();
    const event = { id: randomUUID(), meter, quantity, timestamp: iso(now) };
    if (licenseId) event.licenseId = licenseId;
    if (machineId) event.machineId = machineId;
    const fd = openSync(this.journal, 'a', 0o600);
    try { writeSync(fd, JSON.stringify(event) + '\n'); fsyncSync(fd); } finally { closeSync(fd); }
    const key = monthKey(now);
    if (this.month.month !== key) this.month = { month: key, totals: {} };
    this.month.totals[meter] = (this.month.totals[meter] ?? 0) + quantity;
    this.storage.writeJSON(UsageBuffer.MONTH, this.month);
  }

  usedThisMonth(meter) {
    return this.month.month === monthKey(this.now()) ? this.month.totals[meter] ?? 0 : 0;
  }

  sealed() {
    return readdirSync(this.directory).filter((n) => n.startsWith('batch-') && n.endsWith('.jsonl')).sort().map((n) => join(this.directory, n));
  }

  static events(path) {
    let text;
    try { text = readFileSync(path, 'utf8'); } catch { return []; }
    const events = [];
    for (const line of text.split('\n')) {
      try { if (line) events.push(JSON.parse(line)); } catch { /* torn by a crash */ }
    }
    return events;
  }

  get pendingEvents() { return [...this.sealed(), this.journal].flatMap((path) => UsageBuffer.events(path)); }

  seal() {
    if (!existsSync(this.journal) || statSync(this.journal).size === 0) return;
    const stamp = String(Date.now()).padStart(16, '0');
    renameSync(this.journal, join(this.directory, `batch-${stamp}-${randomUUID()}.jsonl`));
    syncDirectory(this.directory);
  }

  /** Seals the journal and sends the batches: `{sent, pending, rejected}` event counts. */
  async flush() {
    const result = { sent: 0, pending: 0, rejected: 0 };
    if (this.flushing) return result;
    this.flushing = true;
    try {
      this.seal();
      let reachable = true;
      for (const path of this.sealed()) {
        const events = UsageBuffer.events(path);
        const name = path.split('/').pop().replace(/\.jsonl$/, '');
        const outcome = reachable ? await this.deliver(events, name) : 'unreachable';
        if (outcome === 'accepted') { result.sent += events.length; rmSync(path, { force: true }); }
        else if (outcome === 'rejected') { result.rejected += events.length; renameSync(path, join(this.directory, 'rejected-' + path.split('/').pop())); }
        else { reachable = false; result.pending += events.length; }
      }
      return result;
    } finally { this.flushing = false; }
  }

  async deliver(events, batch) {
    for (let start = 0, index = 0; start < events.length; start += this.chunkSize, index++) {
      const status = await this.send({ events: events.slice(start, start + this.chunkSize) }, `${batch}-${index}`);
      if (status === null || [408, 429].includes(status) || status >= 500) return 'unreachable';
      if (status >= 300) return 'rejected';
    }
    return 'accepted';
  }
}
