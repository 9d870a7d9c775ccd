// Types of the Tollgate JavaScript SDK (ES modules, Node 18+, zero dependencies).

export type JWKS = { keys: Array<{ kty: string; crv: string; kid: string; x: string; use?: string; alg?: string }> };

/** Why something did not verify: a stable code (the shared vectors' verdicts). */
export class VerificationError extends Error {
  code: 'KEY_MISTYPED' | 'BAD_SIGNATURE' | 'UNKNOWN_KEY' | 'FILE_MALFORMED' | 'FILE_ENCRYPTED' | 'WRONG_KEY' | 'WRONG_MACHINE'
    | 'ISSUED_IN_FUTURE' | 'FILE_EXPIRED' | 'FILE_VERSION_UNSUPPORTED' | 'TOKEN_MALFORMED' | 'TOKEN_EXPIRED' | 'NO_SIGNATURE' | 'ANSWER_MALFORMED' | 'NONCE_MISMATCH';
}

export interface LicenseKeyInfo { keyId: string; licenseId: string; productId: string; expiresAt: number | null }
/** Limits by the vendor's codes (maxMachines included): a whole number or "unlimited". */
export type Limits = Record<string, number | 'unlimited'>;
/** Which limits reset, and how often; absent codes never reset. */
export type LimitPeriods = Record<string, 'none' | 'hour' | 'day' | 'month' | 'year'>;
export interface TokenClaims {
  sub: string; iat: number; exp: number; account: string; license: string; machine: string; fingerprint: string; product: string;
  tier: string; status: string; entitlements: string[]; limits: Limits; limitPeriods: LimitPeriods; ver: number; [claim: string]: unknown;
}
export interface LicenseFileContent {
  version: number; type: 'license' | 'machine'; issuedAt: string; expiresAt: string; ttlSeconds: number;
  license: { id: string; accountId: string; productId: string; policyId: string; customerId: string; status: string; tier: string;
    entitlements: string[]; limits: Limits; limitPeriods: LimitPeriods; expiresAt: string | null; offlineGraceDays: number };
  machine?: { id: string; fingerprint: string; name?: string | null; cluster?: string | null } | null;
}
export interface ValidationAnswer { valid: boolean; code: string; nonce: string | null; serverTime: number | null; license: Record<string, unknown> | null }

/** Offline checks with the vendor's public keys. Times are Unix seconds. */
export class Verifier {
  constructor(jwks: JWKS);
  licenseKey(text: string): LicenseKeyInfo;
  licenseFile(text: string, now: number, options?: { licenseKey?: string | null; fingerprint?: string | null }): LicenseFileContent;
  token(token: string, now?: number | null): TokenClaims;
  validationAnswer(body: Uint8Array | string, signature: string | null, nonce: string): ValidationAnswer;
}
export function unwrapArmor(text: string, label?: string): Buffer | null;
export function fileKey(licenseKey: string, fingerprint: string | null): Buffer;
export function parseTime(text: string | null): number | null;

export type FailureReason = 'SUSPENDED' | 'REVOKED' | 'EXPIRED' | 'DEACTIVATED' | 'OFFLINE_TOO_LONG' | 'CLOCK_TAMPERED' | string;
export type ClientState =
  | { kind: 'inactive' }
  | { kind: 'valid'; online: boolean; offlineUntil: number }
  | { kind: 'grace'; endsAt: number }
  | { kind: 'failed'; reason: FailureReason };
export interface ClientStatus { state: ClientState; lastOnlineAt: number | null; latestTrustedTime: number | null; offlineGraceDays: number }
export type FileCheck =
  | { verified: true; issuedAt: number; offlineGraceDays: number; licenseStatus: string; licenseExpiresAt: number | null }
  | { verified: false; code: string };

export const DAY: number;
export function allowsUse(state: ClientState): boolean;
export function warning(state: ClientState): string | null;
export function initialStatus(): ClientStatus;
export function reasonFor(code: string): FailureReason | null;
export const states: {
  inactive(): ClientState; valid(online: boolean, offlineUntil: number): ClientState; grace(endsAt: number): ClientState; failed(reason: FailureReason): ClientState;
};
/** The transition function: pure, no I/O. */
export class Rules {
  constructor(options?: { clockTolerance?: number; extraGraceDays?: number; refreshAge?: number });
  clockTolerance: number; extraGraceDays: number; refreshAge: number;
  confirmed(status: ClientStatus, serverTime: number, now: number, graceDays: number): ClientStatus;
  refused(status: ClientStatus, reason: FailureReason): ClientStatus;
  deactivated(status: ClientStatus): ClientStatus;
  offline(status: ClientStatus, now: number, file: FileCheck): ClientStatus;
}

export interface FlushResult { sent: number; pending: number; rejected: number }
export interface UsageEvent { id: string; meter: string; quantity: number; timestamp: string; licenseId?: string; machineId?: string }
/** Usage on disk (fsync per record) until the server has it; batches with stable Idempotency-Keys. */
export class UsageBuffer {
  static JOURNAL: string;
  constructor(directory: string, send: (body: { events: UsageEvent[] }, idempotencyKey: string) => Promise<number | null>, options?: { now?: () => number; chunkSize?: number });
  record(meter: string, quantity?: number, ids?: { licenseId?: string | null; machineId?: string | null }): void;
  usedThisMonth(meter: string): number;
  readonly pendingEvents: UsageEvent[];
  seal(): void;
  flush(): Promise<FlushResult>;
}

export class TollgateError extends Error { status: number | null; code: string | null }
export class LicenseNotUsable extends TollgateError { state: ClientState }
export class FeatureRequired extends TollgateError { feature: string; currentTier: string | null; requiredTier: string | null }
/** A tier (a policy of the product) as GET /v1/products/{id}/tiers lists it. */
export interface Tier { name: string; entitlements: string[]; limits: Limits; maxMachines?: number | null }
export function machineFingerprint(productId: string): string | null;

export interface ClientOptions {
  serverUrl: string; productId: string; jwks: JWKS; storageDir: string; fingerprint?: string | null; machineName?: string | null;
  now?: () => number; timeout?: number; rules?: Rules; tiers?: Tier[] | null; usagePath?: string;
}
export interface Activation {
  licenseKey: string; licenseId: string; machineId: string; fingerprint: string; token: string; floating: boolean; heartbeatIntervalSeconds: number | null;
}
export class Client {
  constructor(options: ClientOptions);
  readonly state: ClientState;
  status: ClientStatus;
  activation: Activation | null;
  claims: TokenClaims | null;
  verifier: Verifier;
  usage: UsageBuffer;
  isEntitled(feature: string): boolean;
  require(feature: string): void;
  limit(code: string): number | 'unlimited' | null;
  limitPeriod(code: string): 'none' | 'hour' | 'day' | 'month' | 'year';
  readonly tiers: Tier[];
  tierWithMore(code: string, than: number): string | null;
  refreshTiers(): Promise<Tier[]>;
  onFailure(handler: (state: ClientState) => void): void;
  activate(key: string): Promise<ClientState>;
  validate(): Promise<ClientState>;
  judgeOffline(): ClientState;
  beat(): Promise<'confirmed' | 'refused' | 'unreachable'>;
  deactivate(): Promise<void>;
  record(meter: string, quantity?: number): void;
  flushUsage(): Promise<FlushResult>;
  usedThisMonth(meter: string): number;
  withExecutionSlot<T>(body: (lease: string) => Promise<T>, options?: { ttlSeconds?: number; holder?: string | null }): Promise<T>;
}
export class HeartbeatWorker {
  constructor(client: Client, options?: { interval?: number | null; initialBackoff?: number; deactivateOnShutdown?: boolean; sleep?: (seconds: number) => Promise<boolean> });
  interval: number;
  backoff(failures: number, jitter?: number): number;
  run(): Promise<void>;
  start(): this;
  stop(): Promise<void>;
}
