// The state machine alone: no server, no files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY, Rules, allowsUse, initialStatus, warning } from '../src/index.js';

const rules = new Rules();
const T0 = 1_800_000_000;
const online = () => rules.confirmed(initialStatus(), T0, T0, 30);
const file = (fields = {}) => ({ verified: true, issuedAt: T0, offlineGraceDays: 30, licenseStatus: 'active', licenseExpiresAt: null, ...fields });

test('a confirmation is valid for the offline grace', () => {
  assert.deepEqual(online().state, { kind: 'valid', online: true, offlineUntil: T0 + 30 * DAY });
});

test('offline valid, then grace, then failed', () => {
  assert.equal(rules.offline(online(), T0 + 29 * DAY, file()).state.kind, 'valid');
  const grace = rules.offline(online(), T0 + 31 * DAY, file()).state;
  assert.deepEqual(grace, { kind: 'grace', endsAt: T0 + 37 * DAY });
  assert.ok(allowsUse(grace) && warning(grace));
  assert.deepEqual(rules.offline(online(), T0 + 37 * DAY, file()).state, { kind: 'failed', reason: 'OFFLINE_TOO_LONG' });
});

test('a clock set back past the tolerance is tampering and recovers forward', () => {
  const status = rules.offline(online(), T0 + 10 * DAY, file());
  assert.ok(allowsUse(rules.offline(status, T0 + 10 * DAY - 599, file()).state));
  const tampered = rules.offline(status, T0 + 9 * DAY, file());
  assert.deepEqual(tampered.state, { kind: 'failed', reason: 'CLOCK_TAMPERED' });
  assert.ok(allowsUse(rules.offline(tampered, T0 + 10 * DAY + 1, file()).state));
});

test('refusals stick offline and only the server lifts them', () => {
  const failed = rules.refused(online(), 'SUSPENDED');
  assert.equal(rules.offline(failed, T0 + 1, file()).state.reason, 'SUSPENDED');
  assert.equal(rules.confirmed(failed, T0 + 2, T0 + 2, 30).state.kind, 'valid');
});

test('the file decides status, expiry and future issue', () => {
  assert.equal(rules.offline(online(), T0 + 1, file({ licenseStatus: 'suspended' })).state.reason, 'SUSPENDED');
  assert.equal(rules.offline(online(), T0 + 10, file({ licenseExpiresAt: T0 + 5 })).state.reason, 'EXPIRED');
  assert.equal(rules.offline(online(), T0, { verified: false, code: 'ISSUED_IN_FUTURE' }).state.reason, 'CLOCK_TAMPERED');
});

test('an edited last online time cannot extend the window', () => {
  const forged = { ...online(), lastOnlineAt: T0 + 300 * DAY };
  assert.equal(rules.offline(forged, T0 + 32 * DAY, file()).state.kind, 'grace');
});

test('inactive stays inactive and deactivation keeps the trusted time', () => {
  assert.equal(rules.offline(initialStatus(), T0, file()).state.kind, 'inactive');
  assert.deepEqual(rules.deactivated(online()), { ...initialStatus(), latestTrustedTime: T0 });
});
