// The client's files, each written atomically (temporary 0600 file, fsync, rename) in a 0700 folder.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

export class Storage {
  static ACTIVATION = 'machine.json';
  static LICENSE_FILE = 'license-file.lic';
  static STATUS = 'status.json';
  static TIERS = 'tiers.json';

  constructor(directory) {
    this.directory = directory;
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }

  read(name) {
    try { return readFileSync(join(this.directory, name)); } catch { return null; }
  }

  readJSON(name) {
    const data = this.read(name);
    try { return data === null ? null : JSON.parse(data.toString('utf8')); } catch { return null; }
  }

  /** Replaces `name` with `data`: complete and durable before it returns. */
  write(name, data) {
    const temporary = join(this.directory, `.${name}.${randomUUID()}.tmp`);
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try { renameSync(temporary, join(this.directory, name)); } catch (error) { rmSync(temporary, { force: true }); throw error; }
  }

  writeJSON(name, value) { this.write(name, JSON.stringify(value)); }

  remove(name) { rmSync(join(this.directory, name), { force: true }); }
}

/** fsync a folder, so a rename in it is durable. */
export function syncDirectory(directory) {
  const fd = openSync(directory, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}
