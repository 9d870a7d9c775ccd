import Foundation
import TollgateDomain
import TollgateFormats

/// A machine as the API shows it: the stored fields plus `status` (`alive`, `dead` or
/// `deactivated`, at the time of the request) and when the next heartbeat is due.
struct MachineView: Encodable, Sendable {
    var machine: Machine
    var status: MachineLiveness
    var nextHeartbeatDueAt: Date?
    var heartbeatIntervalSeconds: Int?

    init(_ machine: Machine, policy: Policy?, now: Date) {
        self.machine = machine
        self.status = machine.liveness(at: now)
        self.nextHeartbeatDueAt = machine.state == .active ? policy.flatMap { machine.nextHeartbeatDue(policy: $0) } : nil
        self.heartbeatIntervalSeconds = machine.deadAt == nil ? nil : policy?.heartbeatIntervalSeconds
    }

    func encode(to encoder: any Encoder) throws {
        try machine.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(nextHeartbeatDueAt, forKey: .nextHeartbeatDueAt)
        try container.encode(heartbeatIntervalSeconds, forKey: .heartbeatIntervalSeconds)
    }

    enum CodingKeys: String, CodingKey { case status, nextHeartbeatDueAt, heartbeatIntervalSeconds }
}

/// The license as machine routes report it.
struct LicenseSummary: Encodable, Sendable {
    var id: String
    var status: String
    var tier: String
    var productId: String
    var policyId: String
    var customerId: String
    var expiresAt: Date?
    var entitlements: [String]
    var limits: EffectiveLimits
    var revocationVersion: Int
    /// With `scope.usage`: each quota's meter → the current period's usage (millionths).
    var usage: [(code: String, used: Int64)]?

    init(_ license: License, policy: Policy, now: Date) {
        id = license.id
        status = license.status(at: now, policy: policy).name
        tier = policy.name
        productId = license.productId
        policyId = policy.id
        customerId = license.customerId
        expiresAt = license.expiresAt
        entitlements = license.effectiveEntitlements(policy: policy)
        limits = license.effectiveLimits(policy: policy)
        revocationVersion = license.revocationVersion
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encode(tier, forKey: .tier)
        try container.encode(productId, forKey: .productId)
        try container.encode(policyId, forKey: .policyId)
        try container.encode(customerId, forKey: .customerId)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(entitlements, forKey: .entitlements)
        try limits.encode(to: &container, limits: .limits, periods: .limitPeriods)
        try container.encode(revocationVersion, forKey: .revocationVersion)
        if let usage {
            try container.encode(
                Dictionary(uniqueKeysWithValues: usage.map { ($0.code, Decimal(string: UsageQuantity(micros: $0.used).description)!) }), forKey: .usage)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, tier, productId, policyId, customerId, expiresAt, entitlements, limits, limitPeriods, revocationVersion, usage
    }
}

/// A machine with its license and policy, as one transaction read or wrote them.
struct MachineRecord: Codable, Sendable {
    var machine: Machine
    var license: License
    var policy: Policy
}

/// The answer of activation and heartbeats: the machine, its license, and a fresh token
/// (none when the license may not run: suspended, revoked or expired past its grace).
struct MachineAnswer: Encodable, Sendable {
    var machine: MachineView
    var license: LicenseSummary
    var valid: Bool
    var code: ValidationCode
    var token: String?
    var tokenExpiresAt: Date?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(machine, forKey: .machine)
        try container.encode(license, forKey: .license)
        try container.encode(valid, forKey: .valid)
        try container.encode(code, forKey: .code)
        try container.encode(token, forKey: .token)
        try container.encode(tokenExpiresAt, forKey: .tokenExpiresAt)
    }

    enum CodingKeys: String, CodingKey { case machine, license, valid, code, token, tokenExpiresAt }
}

extension Credential {
    /// Confines a license key or a machine token to its own license: another license's objects
    /// answer 404, as another account's do.
    func requireAccess(toLicense licenseId: String, resource: String, id: String) throws(TollgateError) {
        let own: String
        switch self {
        case .apiToken: return
        case .license(let licenseId, _): own = licenseId
        case .machine(let token): own = token.license
        }
        guard own == licenseId else { throw .notFound(resource: resource, id: id) }
    }

    /// Confines a license key to its license's machines and a machine token to its own machine.
    func requireAccess(toMachine machine: Machine) throws(TollgateError) {
        if case .machine(let token) = self, token.machine != machine.id { throw .notFound(resource: "machine", id: machine.id) }
        try requireAccess(toLicense: machine.licenseId, resource: "machine", id: machine.id)
    }
}

/// The hot-path encodings of heartbeat and activation answers, written by ``JSONWriter`` with the
/// keys sorted, as ``APICoding`` would write them (a test holds the two equal), but without
/// Foundation's encoder on every beat.
extension MachineAnswer {
    var json: [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.key("code"); json.string(code.rawValue)
            json.key("license"); license.write(&json)
            json.key("machine"); machine.write(&json)
            json.key("token"); json.string(token)
            json.key("tokenExpiresAt"); json.date(tokenExpiresAt)
            json.key("valid"); json.bool(valid)
        }
        return json.bytes
    }
}

extension LicenseSummary: JSONWritable {
    func write(_ json: inout JSONWriter) {
        json.object { json in
            json.key("customerId"); json.string(customerId)
            json.key("entitlements"); json.array(entitlements) { json, code in json.string(code) }
            json.key("expiresAt"); json.date(expiresAt)
            json.key("id"); json.string(id)
            json.effectiveLimits(limits)
            json.key("policyId"); json.string(policyId)
            json.key("productId"); json.string(productId)
            json.key("revocationVersion"); json.int(revocationVersion)
            json.key("status"); json.string(status)
            json.key("tier"); json.string(tier)
            if let usage { json.usage(usage) }
        }
    }
}

extension JSONWriter {
    /// `"usage": {"code": used, …}`, amounts as exact decimals.
    mutating func usage(_ usage: [(code: String, used: Int64)]) {
        key("usage")
        object { json in
            for (code, used) in usage.sorted(by: { $0.code < $1.code }) {
                json.key(code); json.quantity(used)
            }
        }
    }
}

extension MachineView: JSONWritable {
    func write(_ json: inout JSONWriter) {
        json.object { json in
            json.key("accountId"); json.string(machine.accountId)
            json.key("activatedOffline"); json.bool(machine.activatedOffline)
            json.key("cluster"); json.string(machine.cluster)
            json.key("cores"); json.int(machine.cores)
            json.key("createdAt"); json.date(machine.createdAt)
            json.key("cullWhenDead"); json.bool(machine.cullWhenDead)
            json.key("deactivatedAt"); json.date(machine.deactivatedAt)
            json.key("deactivationReason"); json.string(machine.deactivationReason?.rawValue)
            json.key("deadAt"); json.date(machine.deadAt)
            json.key("drainingUntil"); json.date(machine.drainingUntil)
            json.key("fingerprint"); json.string(machine.fingerprint)
            json.key("heartbeatIntervalSeconds"); json.int(heartbeatIntervalSeconds)
            json.key("hostname"); json.string(machine.hostname)
            json.key("id"); json.string(machine.id)
            json.key("lastHeartbeatAt"); json.date(machine.lastHeartbeatAt)
            json.key("licenseId"); json.string(machine.licenseId)
            json.key("name"); json.string(machine.name)
            json.key("nextHeartbeatDueAt"); json.date(nextHeartbeatDueAt)
            json.key("offlineRequestNonce"); json.string(machine.offlineRequestNonce)
            json.key("platform"); json.string(machine.platform)
            json.key("state"); json.string(machine.state.rawValue)
            json.key("status"); json.string(status.rawValue)
            json.key("tokenVersion"); json.int(machine.tokenVersion)
            json.key("updatedAt"); json.date(machine.updatedAt)
        }
    }
}
