import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Licenses: issue (signing the key), list with filters, show, update, lifecycle actions,
/// and the validation log of one license.
struct LicenseController: Sendable {
    let writer: ChangeWriter
    let store: Store
    let keys: KeyService
    let clock: any TollgateClock
    let limits: BodyLimits

    static let createFields: Set<String> = ["policyId", "customerId", "expiresAt", "limitOverrides", "entitlements", "metadata"]
    static let updateFields: Set<String> = ["expiresAt", "limitOverrides", "entitlements", "metadata"]

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("licenses") { request, context in try await create(request, context) }
        group.get("licenses") { request, context in try await list(request, context) }
        group.get("licenses/:id") { request, context in try await show(request, context) }
        group.patch("licenses/:id") { request, context in try await update(request, context) }
        // One route per action, so that each has its own entry (and body, or none) in the API document.
        for action in ActionName.allCases {
            group.post(RouterPath("licenses/:id/actions/\(action.rawValue)")) { request, context in try await act(action, request, context) }
        }
        group.get("licenses/:id/validations") { request, context in try await validations(request, context) }
    }

    /// A license as the API shows it: the stored fields plus `status` (at the time of the
    /// request, so it includes expiry) and `tier` (the policy's name).
    struct View: Encodable, Sendable {
        var license: License
        var status: String
        var tier: String

        init(_ license: License, policy: Policy?, now: Date) {
            self.license = license
            self.status = policy.map { license.status(at: now, policy: $0).name } ?? license.state.rawValue
            self.tier = policy?.name ?? ""
        }

        func encode(to encoder: any Encoder) throws {
            try license.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            try container.encode(tier, forKey: .tier)
        }

        enum CodingKeys: String, CodingKey { case status, tier }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Self.createFields)
        let draft = try body.decode(LicenseDraft.self)
        try draft.validate()
        let accountId = context.accountId
        let actor = context.actor
        let signingKey = try await keys.current(accountId: accountId)
        return try await writer.perform(request: request, context: context, body: body, status: .created) { session, now in
            guard let policy = try session.policies.find(id: draft.policyId, accountId: accountId) else {
                throw TollgateError.invalid(code: RequestCode.referenceNotFound, field: "policyId", message: "No policy '\(draft.policyId)' exists in this account.")
            }
            guard try session.customers.find(id: draft.customerId, accountId: accountId) != nil else {
                throw TollgateError.invalid(code: RequestCode.referenceNotFound, field: "customerId", message: "No customer '\(draft.customerId)' exists in this account.")
            }
            try LicenseDraft.requireKnownOverrides(draft.limitOverrides ?? [:], policy: policy)
            try EntitlementCatalogue.requireKnown(draft.entitlements ?? [], productId: policy.productId, accountId: accountId, session: session)
            let expiresAt = draft.expiresAt ?? policy.durationDays.map { now.adding(days: $0) }
            if let expiresAt, expiresAt <= now {
                throw TollgateError.invalid(field: "expiresAt", message: "'expiresAt' must be in the future.")
            }
            let id = Identifier.make(.license, at: now)
            // Keys carry whole seconds; store the expiry the key carries.
            let expiry = expiresAt.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.down)) }
            let key = try LicenseKey(keyId: signingKey.id, licenseId: id, productId: policy.productId, expiresAt: expiry).signed(with: signingKey)
            let license = License(
                id: id, accountId: accountId, productId: policy.productId, policyId: policy.id, customerId: draft.customerId, key: key,
                keyId: signingKey.id, state: .active, expiresAt: expiry, limitOverrides: draft.limitOverrides ?? [:],
                extraEntitlements: Array(Set(draft.entitlements ?? [])).sorted(), metadata: draft.metadata ?? [:], revocationVersion: 0,
                createdAt: now, updatedAt: now)
            try session.licenses.insert(license)
            let view = View(license, policy: policy, now: now)
            try ChangeLog.record(
                session, accountId: accountId, actor: actor, type: "license.created", objectType: "license", objectId: id,
                before: nil as License?, after: license, state: view, at: now)
            return view
        }
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = try request.pageRequest()
        let now = clock.now()
        var filters: [Filter] = []
        if let customer = request.queryString("customerId") { filters.append(Filter("customer_id = ?", [.text(customer)])) }
        if let product = request.queryString("productId") { filters.append(Filter("product_id = ?", [.text(product)])) }
        if let policy = request.queryString("policyId") { filters.append(Filter("policy_id = ?", [.text(policy)])) }
        if let before = try request.queryDate("expiringBefore") {
            filters.append(Filter("expires_at IS NOT NULL AND expires_at < ?", [.integer(before.epochMilliseconds)]))
        }
        if let status = try request.queryEnum("status", StatusFilter.self) {
            let millis = SQLValue.integer(now.epochMilliseconds)
            switch status {
            case .active: filters.append(Filter("state = 'active' AND (expires_at IS NULL OR expires_at > ?)", [millis]))
            case .expired: filters.append(Filter("state = 'active' AND expires_at IS NOT NULL AND expires_at <= ?", [millis]))
            case .suspended: filters.append(Filter("state = 'suspended'", []))
            case .revoked: filters.append(Filter("state = 'revoked'", []))
            }
        }
        let accountId = context.accountId
        let conditions = filters
        let views = try await store.read { session -> Page<View> in
            let licenses = try session.licenses.list(accountId: accountId, filters: conditions, page: page)
            var policies: [String: Policy] = [:]
            return try licenses.map { license in
                if policies[license.policyId] == nil { policies[license.policyId] = try session.policies.find(id: license.policyId, accountId: accountId) }
                return View(license, policy: policies[license.policyId], now: now)
            }
        }
        return try Response.json(PageBody(data: views.items, nextCursor: views.nextCursor))
    }

    /// The `status` filter's values.
    enum StatusFilter: String, APIEnum { case active, suspended, expired, revoked }

    func show(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let accountId = context.accountId
        let now = clock.now()
        let view = try await store.read { session -> View in
            guard let license = try session.licenses.find(id: id, accountId: accountId) else {
                throw TollgateError.notFound(resource: "license", id: id)
            }
            return View(license, policy: try session.policies.find(id: license.policyId, accountId: accountId), now: now)
        }
        return try Response.json(view)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Self.updateFields)
        let accountId = context.accountId
        let actor = context.actor
        return try await writer.update(accountId: context.accountId) { session, now in
            guard let current = try session.licenses.find(id: id, accountId: accountId) else {
                throw TollgateError.notFound(resource: "license", id: id)
            }
            let changes = try body.merged(into: LicenseUpdate(current))
            let updated = try changes.applied(to: current, now: now)
            // Only what this change adds is checked: a license keeps what it had before a change of policy.
            let addedOverrides = updated.limitOverrides.filter { current.limitOverrides[$0.key] == nil }
            if !addedOverrides.isEmpty, let policy = try session.policies.find(id: current.policyId, accountId: accountId) {
                try LicenseDraft.requireKnownOverrides(addedOverrides, policy: policy)
            }
            try EntitlementCatalogue.requireKnown(
                updated.extraEntitlements.filter { !current.extraEntitlements.contains($0) }, productId: current.productId, accountId: accountId,
                session: session)
            try session.licenses.update(updated)
            let view = View(updated, policy: try session.policies.find(id: updated.policyId, accountId: accountId), now: now)
            try ChangeLog.record(
                session, accountId: accountId, actor: actor, type: "license.updated", objectType: "license", objectId: id,
                before: current, after: updated, state: view, at: now)
            return view
        }
    }

    /// The action names in the path.
    enum ActionName: String, APIEnum {
        case suspend, reinstate, renew, revoke
        case changePolicy = "change-policy"
    }

    func act(_ name: ActionName, _ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(
            request, limit: limits.maxBodyBytes, allowedFields: name == .changePolicy ? ["policyId"] : [], requireBody: name == .changePolicy)
        struct ChangePolicy: Decodable { var policyId: String }
        let newPolicyId = name == .changePolicy ? try body.decode(ChangePolicy.self).policyId : nil
        let accountId = context.accountId
        let actor = context.actor
        return try await writer.perform(request: request, context: context, body: body, status: .ok) { session, now in
            guard let license = try session.licenses.find(id: id, accountId: accountId) else {
                throw TollgateError.notFound(resource: "license", id: id)
            }
            guard let policy = try session.policies.find(id: license.policyId, accountId: accountId) else {
                throw TollgateError.notFound(resource: "policy", id: license.policyId)
            }
            let action: LicenseAction
            var resultingPolicy = policy
            switch name {
            case .suspend: action = .suspend
            case .reinstate: action = .reinstate
            case .renew: action = .renew
            case .revoke: action = .revoke
            case .changePolicy:
                guard let newPolicyId, let newPolicy = try session.policies.find(id: newPolicyId, accountId: accountId) else {
                    throw TollgateError.invalid(code: RequestCode.referenceNotFound, field: "policyId", message: "No policy '\(newPolicyId ?? "")' exists in this account.")
                }
                action = .changePolicy(newPolicy)
                resultingPolicy = newPolicy
            }
            let updated = try LicenseStateMachine.apply(action, to: license, policy: policy, now: now)
            try session.licenses.update(updated)
            let view = View(updated, policy: resultingPolicy, now: now)
            try ChangeLog.record(
                session, accountId: accountId, actor: actor, type: action.auditAction, objectType: "license",
                objectId: id, before: license, after: updated, state: view, at: now)
            return view
        }
    }

    func validations(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let page = try request.pageRequest()
        let accountId = context.accountId
        let result = try await store.read { session -> Page<ValidationEventTable.Event> in
            guard try session.licenses.find(id: id, accountId: accountId) != nil else {
                throw TollgateError.notFound(resource: "license", id: id)
            }
            return try session.validations.list(licenseId: id, accountId: accountId, page: page)
        }
        return try Response.json(PageBody(data: result.items, nextCursor: result.nextCursor))
    }
}
