// Offline checks of everything a Tollgate server signs: license keys, license and machine files,
// machine tokens and signed validation answers. The failure codes are the Swift and Python SDKs'
// too, and the shared test vectors (sdk/vectors/vectors.json) state them as verdicts.
import { createDecipheriv, createPublicKey, hkdfSync, verify as edVerify } from 'node:crypto';

/** Why something did not verify: a stable `code` and a sentence. */
export class VerificationError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.name = 'VerificationError';
    this.code = code;
  }
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DECODE = new Map();
[...ALPHABET].forEach((c, i) => { DECODE.set(c, i); DECODE.set(c.toLowerCase(), i); });
for (const [c, v] of [['O', 0], ['o', 0], ['I', 1], ['i', 1], ['L', 1], ['l', 1]]) DECODE.set(c, v);

/** Crockford Base32 (the license key alphabet); null for a character outside it. */
export function crockfordDecode(text) {
  const out = [];
  let buffer = 0n, bits = 0;
  for (const char of text) {
    if ('- \n\r\t'.includes(char)) continue;
    const value = DECODE.get(char);
    if (value === undefined) return null;
    buffer = ((buffer << 5n) | BigInt(value)) & 0xffffn;
    bits += 5;
    if (bits >= 8) { bits -= 8; out.push(Number((buffer >> BigInt(bits)) & 0xffn)); }
  }
  if (bits > 0 && (buffer & ((1n << BigInt(bits)) - 1n)) !== 0n) return null;
  return Buffer.from(out);
}

function ulid(prefix, bytes) {
  let value = BigInt('0x' + bytes.toString('hex'));
  const chars = [];
  for (let i = 0; i < 26; i++) { chars.push(ALPHABET[Number(value & 31n)]); value >>= 5n; }
  return `${prefix}_${chars.reverse().join('')}`;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// Canonical base64 only: Buffer ignores the unused bits of the last character, so a text whose
// last symbol carries bits beyond the encoded bytes is refused (it is a changed character
// spelling the same bytes, not another encoding).
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function spareBitsClear(symbols) {
  const rest = symbols.length % 4;
  if (rest === 1) return false;
  if (rest === 0) return true;
  const last = symbols[symbols.length - 1];
  const value = last === '-' ? 62 : last === '_' ? 63 : B64.indexOf(last);
  return (value & (rest === 2 ? 0x0f : 0x03)) === 0;
}
function base64Strict(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('not base64');
  if (!spareBitsClear(text.replace(/=+$/, ''))) throw new Error('not canonical base64');
  return Buffer.from(text, 'base64');
}
function base64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || !spareBitsClear(text)) throw new Error('not canonical base64url');
  return Buffer.from(text, 'base64url');
}

/** Unix seconds of an ISO 8601 UTC time as the server writes it; null for null. */
export function parseTime(text) {
  if (text == null) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error('bad time');
  return ms / 1000;
}

export const FILE_LABEL = 'TOLLGATE LICENSE FILE';
const FILE_DOMAIN = 'tollgate-license-file-v1';
const KEY_CONTEXT = Buffer.from('tollgate-license-key-v1\0');
const FUTURE_TOLERANCE = 300;

/** The data of the armored block; tolerates CRLF, indentation and mail '> ' quoting. */
export function unwrapArmor(text, label = FILE_LABEL) {
  const lines = String(text).split(/\r\n|\r|\n/).map((line) => line.replace(/^[ \t>]+/, '').replace(/[ \t\r]+$/, ''));
  const begin = lines.indexOf(`-----BEGIN ${label}-----`);
  if (begin < 0) return null;
  const end = lines.indexOf(`-----END ${label}-----`, begin);
  if (end < 0) return null;
  try { return base64Strict(lines.slice(begin + 1, end).join('')); } catch { return null; }
}

/**
 * The one encoding of a file envelope the server writes: sorted keys, no white space, nothing
 * escaped. The signature covers the fields, not their JSON, so any other spelling (a changed
 * byte) is refused.
 */
function canonicalEnvelope(envelope) {
  const names = ['alg', 'enc', 'kid', 'sig', 'type'];
  const fields = names.map((name) => envelope?.[name]);
  // The key id is the one field that could hold a character JSON escapes (alg and type have a
  // few known values, enc and sig are base64); such a file was not issued by a server.
  if (Object.keys(envelope ?? {}).length !== 5 || !fields.every((f) => typeof f === 'string') || /["\\\u0000-\u001f]/.test(envelope.kid)) {
    throw new Error('not a file envelope');
  }
  return Buffer.from(`{${names.map((name, i) => `"${name}":"${fields[i]}"`).join(',')}}`, 'utf8');
}

/** The AES-256 key of a file: HKDF-SHA256 of the license key, bound to a machine's fingerprint. */
export function fileKey(licenseKey, fingerprint) {
  return Buffer.from(hkdfSync('sha256', Buffer.from(licenseKey), Buffer.from(FILE_DOMAIN), Buffer.from(fingerprint ?? ''), 32));
}

/** Checks with the vendor's public keys (a JWKS as /.well-known/jwks.json serves it). */
/** The newest license file content format this SDK reads (2: limits are the vendor's codes). */
export const FILE_VERSION = 2;

/** Limits by code as version 2 writes them (a whole number or "unlimited"): format 1 wrote unlimited as null. */
export function normalizeLimits(raw) {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('limits');
  const limits = {};
  for (const [code, value] of Object.entries(raw)) {
    if (value === null || value === 'unlimited') limits[code] = 'unlimited';
    else if (Number.isInteger(value)) limits[code] = value;
    else throw new Error(`limit ${code}`);
  }
  return limits;
}

export class Verifier {
  constructor(jwks) {
    this.keys = new Map();
    for (const key of jwks?.keys ?? []) {
      if (key.kty !== 'OKP' || key.crv !== 'Ed25519' || this.keys.has(key.kid)) continue;
      try { this.keys.set(key.kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.x }, format: 'jwk' })); } catch { /* skipped */ }
    }
  }

  check(kid, signature, message) {
    try { return edVerify(null, message, this.keys.get(kid), signature); } catch { return false; }
  }

  /** A license key's payload. Codes: KEY_MISTYPED, BAD_SIGNATURE. */
  licenseKey(text) {
    text = String(text).replace(/^[ \n\r\t]+|[ \n\r\t]+$/g, '');
    const mistyped = (message) => new VerificationError('KEY_MISTYPED', message);
    if (text.slice(0, 4).toUpperCase() !== 'TG1-') throw mistyped("The key does not start with 'TG1-'.");
    const data = crockfordDecode(text.slice(4));
    if (data === null) throw mistyped('The key holds a character that is not in the key alphabet.');
    if (data.length !== 41 + 64 + 4) throw mistyped('The key has the wrong length: a character is missing or extra.');
    if (crc32(data.subarray(0, 105)) !== data.readUInt32BE(105)) throw mistyped("The key's checksum does not match: it was probably mistyped.");
    if (data[0] !== 1) throw mistyped(`The key's format version ${data[0]} is not supported.`);
    const keyId = data.subarray(1, 5).toString('hex');
    if (!this.keys.has(keyId)) throw new VerificationError('BAD_SIGNATURE', `The key was signed by an unknown or retired signing key '${keyId}'.`);
    if (!this.check(keyId, data.subarray(41, 105), Buffer.concat([KEY_CONTEXT, data.subarray(0, 41)]))) {
      throw new VerificationError('BAD_SIGNATURE', "The key's signature does not verify: it was not issued by this vendor.");
    }
    const seconds = data.readUInt32BE(37);
    return { keyId, licenseId: ulid('lic', data.subarray(5, 21)), productId: ulid('prd', data.subarray(21, 37)), expiresAt: seconds || null };
  }

  /**
   * A license or machine file's content at `now` (Unix seconds). Codes: FILE_MALFORMED, UNKNOWN_KEY,
   * BAD_SIGNATURE, FILE_ENCRYPTED, WRONG_KEY, WRONG_MACHINE, ISSUED_IN_FUTURE, FILE_EXPIRED,
   * FILE_VERSION_UNSUPPORTED. Version 1 files read too: their unlimited limits (null) read as "unlimited".
   */
  licenseFile(text, now, { licenseKey = null, fingerprint = null } = {}) {
    const malformed = () => new VerificationError('FILE_MALFORMED', 'This is not a readable Tollgate license file.');
    const data = unwrapArmor(text);
    let envelope, enc, signature;
    try {
      envelope = JSON.parse(data.toString('utf8'));
      if (!data.equals(canonicalEnvelope(envelope))) throw new Error('not the envelope as issued');
      enc = base64Strict(envelope.enc);
      signature = base64Strict(envelope.sig);
    } catch { throw malformed(); }
    const { alg, kid, type } = envelope;
    if (!['ed25519', 'aes-256-gcm+ed25519'].includes(alg) || !['license', 'machine'].includes(type) || typeof kid !== 'string') throw malformed();
    if (!this.keys.has(kid)) throw new VerificationError('UNKNOWN_KEY', `The file is signed by key '${kid}', which the verifier does not hold.`);
    const message = Buffer.concat([Buffer.from(`${FILE_DOMAIN}\0${alg}\0${type}\0${kid}\0`), enc]);
    if (!this.check(kid, signature, message)) throw new VerificationError('BAD_SIGNATURE', "The file's signature does not match its content: it was changed.");
    let plain = enc;
    if (alg === 'aes-256-gcm+ed25519') {
      if (licenseKey == null || (type === 'machine' && fingerprint == null)) {
        throw new VerificationError('FILE_ENCRYPTED', 'The file is encrypted: give the license key (and the fingerprint for a machine file).');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', fileKey(licenseKey, type === 'machine' ? fingerprint : null), enc.subarray(0, 12));
        decipher.setAuthTag(enc.subarray(enc.length - 16));
        plain = Buffer.concat([decipher.update(enc.subarray(12, enc.length - 16)), decipher.final()]);
      } catch {
        if (type === 'machine') throw new VerificationError('WRONG_MACHINE', 'The file does not open with this license key and fingerprint.');
        throw new VerificationError('WRONG_KEY', 'The license key does not open this file.');
      }
    }
    let content, issued, expires;
    try {
      content = JSON.parse(plain.toString('utf8'));
      issued = parseTime(content.issuedAt);
      expires = parseTime(content.expiresAt);
      if (issued === null || expires === null) throw new Error('no times');
      content.version ??= 1;
      content.license.limits = normalizeLimits(content.license.limits);
      content.license.limitPeriods ??= {};
    } catch { throw malformed(); }
    if (content.type !== type || !Number.isInteger(content.version)) throw malformed();
    if (content.version > FILE_VERSION) {
      throw new VerificationError('FILE_VERSION_UNSUPPORTED', `The file is of format version ${content.version}, newer than this SDK reads: update the app.`);
    }
    if (issued - now > FUTURE_TOLERANCE) throw new VerificationError('ISSUED_IN_FUTURE', `The file was issued at ${content.issuedAt}, ahead of this machine's clock.`);
    if (now >= expires) throw new VerificationError('FILE_EXPIRED', `The file expired at ${content.expiresAt}; check out a new one.`);
    if (fingerprint != null && content.machine && content.machine.fingerprint !== fingerprint) {
      throw new VerificationError('WRONG_MACHINE', 'The file is bound to another machine.');
    }
    return content;
  }

  /**
   * A machine token's claims; with `now`, an expired one is refused. Codes: TOKEN_MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE,
   * TOKEN_EXPIRED. `limits` by code (a number or "unlimited"), `limitPeriods`, and `ver` (1 for tokens without it).
   */
  token(token, now = null) {
    const malformed = () => new VerificationError('TOKEN_MALFORMED', 'This is not a Tollgate machine token.');
    const parts = String(token).split('.');
    let header, payload, signature;
    try {
      if (parts.length !== 3) throw new Error('parts');
      header = JSON.parse(base64url(parts[0]).toString('utf8'));
      payload = base64url(parts[1]);
      signature = base64url(parts[2]);
      if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') throw new Error('header');
    } catch { throw malformed(); }
    if (!this.keys.has(header.kid)) throw new VerificationError('UNKNOWN_KEY', `The token is signed by unknown key '${header.kid}'.`);
    if (!this.check(header.kid, signature, Buffer.from(`${parts[0]}.${parts[1]}`))) {
      throw new VerificationError('BAD_SIGNATURE', "The token's signature does not match its content.");
    }
    let claims;
    try {
      claims = JSON.parse(payload.toString('utf8'));
      for (const name of ['license', 'machine', 'fingerprint', 'product', 'tier', 'status', 'entitlements', 'limits', 'iat', 'exp']) {
        if (claims[name] === undefined) throw new Error(name);
      }
      claims.limits = normalizeLimits(claims.limits);
      claims.limitPeriods ??= {};
      claims.ver ??= 1;
    } catch { throw malformed(); }
    if (now !== null && now >= claims.exp) throw new VerificationError('TOKEN_EXPIRED', 'The token has expired.');
    return claims;
  }

  /**
   * A validation answer whose Tollgate-Signature signs exactly `body` (bytes) and which echoes `nonce`.
   * Codes: NO_SIGNATURE, UNKNOWN_KEY, BAD_SIGNATURE, ANSWER_MALFORMED, NONCE_MISMATCH.
   */
  validationAnswer(body, signature, nonce) {
    const fields = Object.fromEntries([...String(signature ?? '').matchAll(/(\w+)\s*=\s*"?([^",]*)"?/g)].map((m) => [m[1], m[2]]));
    let signed;
    try {
      if (fields.algorithm !== 'ed25519' || !fields.keyid) throw new Error('fields');
      signed = base64Strict(fields.signature);
    } catch { throw new VerificationError('NO_SIGNATURE', 'The answer carries no Tollgate-Signature.'); }
    if (!this.keys.has(fields.keyid)) throw new VerificationError('UNKNOWN_KEY', `The answer is signed by unknown key '${fields.keyid}'.`);
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (!this.check(fields.keyid, signed, bytes)) throw new VerificationError('BAD_SIGNATURE', "The answer's signature does not match its body.");
    let answer;
    try {
      answer = JSON.parse(bytes.toString('utf8'));
      if (typeof answer.valid !== 'boolean' || typeof answer.code !== 'string') throw new Error('shape');
    } catch { throw new VerificationError('ANSWER_MALFORMED', 'The answer is not a validation answer.'); }
    if (answer.nonce !== nonce) throw new VerificationError('NONCE_MISMATCH', "The answer does not echo this request's nonce: it is a replay.");
    return { valid: answer.valid, code: answer.code, nonce: answer.nonce, serverTime: parseTime(answer.serverTime ?? null), license: answer.license ?? null };
  }
}
