// First verification of a machine file against a raw Ed25519 verify of the same signed bytes, in
// the same run (issue 5: within 2x). Uses the shared vectors. node sdk/js/bench.js [n]
import { readFileSync } from 'node:fs';
import { verify } from 'node:crypto';
import { Verifier, unwrapArmor } from './src/index.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/vectors.json', import.meta.url), 'utf8'));
const verifier = new Verifier(vectors.jwks);
const n = Number(process.argv[2] ?? 5000);
// Interleaved: raw and file alternate in slices, and the ratio is taken per round.
const ROUNDS = 25;
const SLICE = Math.max(1, Math.floor(n / 5));
const rate = (check) => { const start = process.hrtime.bigint(); for (let i = 0; i < SLICE; i++) check(); return SLICE / (Number(process.hrtime.bigint() - start) / 1e9); };
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`JS SDK (node:crypto, Node ${process.version}), ${ROUNDS} interleaved rounds of ${SLICE}, one core (medians; ratios per round)`);
for (const name of ['plain machine file', 'encrypted machine file']) {
  const vector = vectors.licenseFiles.find((v) => v.name === name);
  const envelope = JSON.parse(unwrapArmor(vector.file).toString('utf8'));
  const message = Buffer.concat([Buffer.from(`tollgate-license-file-v1\0${envelope.alg}\0${envelope.type}\0${envelope.kid}\0`), Buffer.from(envelope.enc, 'base64')]);
  const signature = Buffer.from(envelope.sig, 'base64');
  const key = verifier.keys.get(envelope.kid);
  const raw = [], full = [], ratio = [];
  for (let round = 0; round < ROUNDS; round++) {
    raw.push(rate(() => { if (!verify(null, message, key, signature)) throw new Error('raw'); }));
    full.push(rate(() => verifier.licenseFile(vector.file, vector.now, { licenseKey: vector.licenseKey ?? null, fingerprint: vector.fingerprint ?? null })));
    ratio.push(full.at(-1) / raw.at(-1));
  }
  console.log(`  raw Ed25519 verify:         ${median(raw).toFixed(0).padStart(9)} /s`);
  console.log(`  ${(name + ' verify:').padEnd(32)} ${median(full).toFixed(0).padStart(9)} /s   ratio ${median(ratio).toFixed(3)} (target >= 0.5)`);
}
