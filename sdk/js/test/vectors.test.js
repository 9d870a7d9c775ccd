// Every shared vector (sdk/vectors/vectors.json, written by the server's code) gives its verdict.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Verifier, VerificationError } from '../src/index.js';
import { normalizeLimits, parseTime } from '../src/verify.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/vectors.json', import.meta.url), 'utf8'));
const verifier = new Verifier(vectors.jwks);

function verdict(check, describe) {
  try {
    return describe(check());
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    return { valid: false, error: error.code };
  }
}
const defined = (object) => Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null && value !== undefined));

for (const vector of vectors.licenseKeys) {
  test(`license key: ${vector.name}`, () => {
    assert.deepEqual(verdict(() => verifier.licenseKey(vector.key), (k) => defined({ valid: true, licenseId: k.licenseId, productId: k.productId, keyId: k.keyId, expiresAt: k.expiresAt })), vector.expect);
  });
}
for (const vector of vectors.licenseFiles) {
  test(`license file: ${vector.name}`, () => {
    const got = verdict(() => verifier.licenseFile(vector.file, vector.now, { licenseKey: vector.licenseKey ?? null, fingerprint: vector.fingerprint ?? null }), (c) => defined({
      valid: true, type: c.type, licenseId: c.license.id, machineId: c.machine?.id, tier: c.license.tier,
      entitlements: c.license.entitlements, offlineGraceDays: c.license.offlineGraceDays, expiresAt: parseTime(c.expiresAt),
      limits: 'limits' in vector.expect ? c.license.limits : undefined,
      limitPeriods: 'limitPeriods' in vector.expect ? c.license.limitPeriods : undefined,
    }));
    assert.deepEqual(got, vector.expect);
  });
}
for (const vector of vectors.tokens) {
  test(`token: ${vector.name}`, () => {
    assert.deepEqual(verdict(() => verifier.token(vector.token, vector.now), (c) => defined({
      valid: true, licenseId: c.license, machineId: c.machine, tier: c.tier, entitlements: c.entitlements, expiresAt: c.exp,
      limits: 'limits' in vector.expect ? c.limits : undefined, limitPeriods: 'limitPeriods' in vector.expect ? c.limitPeriods : undefined,
    })), vector.expect);
  });
}
for (const vector of vectors.validationAnswers) {
  test(`validation answer: ${vector.name}`, () => {
    assert.deepEqual(verdict(() => verifier.validationAnswer(Buffer.from(vector.body), vector.signature ?? null, vector.nonce), (a) => defined({ valid: true, licenseId: a.license?.id, code: a.code })), vector.expect);
  });
}
test('there are vectors in every section', () => {
  for (const section of ['licenseKeys', 'licenseFiles', 'tokens', 'validationAnswers']) assert.ok(vectors[section].length >= 7, section);
});
test('version 1 limits read null as unlimited', () => {
  assert.deepEqual(normalizeLimits({ maxWorkflows: null, seats: 3, 'gpu-hours': 'unlimited' }), { maxWorkflows: 'unlimited', seats: 3, 'gpu-hours': 'unlimited' });
  assert.throws(() => normalizeLimits({ seats: 'lots' }));
});
