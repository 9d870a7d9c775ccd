// Tollgate client SDK: activate this machine, validate online or from the signed file (offline
// window, grace, then fail closed), gate features and limits, beat, record usage. Zero dependencies.
export { Verifier, VerificationError, unwrapArmor, fileKey, parseTime } from './verify.js';
export { Rules, allowsUse, warning, states, initialStatus, reasonFor, DAY } from './state.js';
export { UsageBuffer } from './usage.js';
export { Client, HeartbeatWorker, TollgateError, LicenseNotUsable, FeatureRequired, machineFingerprint } from './client.js';
