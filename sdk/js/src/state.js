// The client's states and their transition function: pure, no I/O, no clock of its own
// (the same rules as the Swift SDK's ClientStateMachine). Times are Unix seconds.
export const DAY = 86_400;

const SERVER_REASONS = {
  SUSPENDED: 'SUSPENDED', REVOKED: 'REVOKED', EXPIRED: 'EXPIRED', DEACTIVATED: 'DEACTIVATED',
  MACHINE_DEACTIVATED: 'DEACTIVATED', NO_MACHINE: 'DEACTIVATED', NOT_FOUND: 'DEACTIVATED', TOKEN_REVOKED: 'DEACTIVATED',
};

/** The failure reason of a server's refusal code, if it names one. */
export const reasonFor = (code) => SERVER_REASONS[code] ?? null;

/** `{kind: 'inactive'|'valid'|'grace'|'failed', online?, offlineUntil?, endsAt?, reason?}`. */
export const states = {
  inactive: () => ({ kind: 'inactive' }),
  valid: (online, offlineUntil) => ({ kind: 'valid', online, offlineUntil }),
  grace: (endsAt) => ({ kind: 'grace', endsAt }),
  failed: (reason) => ({ kind: 'failed', reason }),
};

export const allowsUse = (state) => state.kind === 'valid' || state.kind === 'grace';

export function warning(state) {
  if (state.kind === 'grace') return 'The license could not be checked with the server; it stops working when the grace period ends.';
  if (state.kind === 'failed') return `The license is not usable (${state.reason}).`;
  return null;
}

export const initialStatus = () => ({ state: states.inactive(), lastOnlineAt: null, latestTrustedTime: null, offlineGraceDays: 30 });

const maxOf = (...values) => Math.max(...values.filter((v) => v !== null && v !== undefined));

/** The rules; `clockTolerance` (s), `extraGraceDays`, `refreshAge` (s) may be changed. */
export class Rules {
  constructor({ clockTolerance = 600, extraGraceDays = 7, refreshAge = DAY } = {}) {
    Object.assign(this, { clockTolerance, extraGraceDays, refreshAge });
  }

  confirmed(status, serverTime, now, graceDays) {
    return {
      state: states.valid(true, now + graceDays * DAY), lastOnlineAt: now,
      latestTrustedTime: maxOf(status.latestTrustedTime, serverTime, now), offlineGraceDays: graceDays,
    };
  }

  refused(status, reason) { return { ...status, state: states.failed(reason) }; }

  deactivated(status) { return { ...initialStatus(), latestTrustedTime: status.latestTrustedTime }; }

  /** `file`: `{verified: true, issuedAt, offlineGraceDays, licenseStatus, licenseExpiresAt}` or `{verified: false, code}`. */
  offline(status, now, file) {
    const { state } = status;
    if (state.kind === 'inactive' || (state.kind === 'failed' && !['OFFLINE_TOO_LONG', 'CLOCK_TAMPERED'].includes(state.reason))) return status;
    const fail = (reason, trusted = status.latestTrustedTime) => ({ ...status, state: states.failed(reason), latestTrustedTime: trusted });
    if (!file.verified) return fail({ ISSUED_IN_FUTURE: 'CLOCK_TAMPERED', FILE_EXPIRED: 'OFFLINE_TOO_LONG' }[file.code] ?? file.code);
    const latest = maxOf(status.latestTrustedTime, file.issuedAt);
    if (now < latest - this.clockTolerance) return fail('CLOCK_TAMPERED');
    const trusted = Math.max(latest, now);
    const reason = reasonFor(String(file.licenseStatus).toUpperCase());
    if (reason) return fail(reason, trusted);
    if (file.licenseExpiresAt != null && now >= file.licenseExpiresAt) return fail('EXPIRED', trusted);
    const start = Math.min(status.lastOnlineAt ?? file.issuedAt, file.issuedAt + this.refreshAge);
    const offlineUntil = start + file.offlineGraceDays * DAY;
    if (now < offlineUntil) return { ...status, state: states.valid(false, offlineUntil), latestTrustedTime: trusted };
    const graceEnds = offlineUntil + this.extraGraceDays * DAY;
    if (now < graceEnds) return { ...status, state: states.grace(graceEnds), latestTrustedTime: trusted };
    return fail('OFFLINE_TOO_LONG', trusted);
  }
}
