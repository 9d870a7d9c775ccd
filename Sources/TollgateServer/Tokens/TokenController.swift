import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `POST /v1/tokens/verify`: whether an activation token is valid now. No credential needed:
/// the token is the question. Reads the machine and license fresh from the store, so a
/// suspension, revocation or deactivation shows at once on every replica.
struct TokenController: Sendable {
    let store: Store
    let tokens: TokenService
    let refusals: TokenRefusalLog
    let clock: any TollgateClock
    let limits: BodyLimits

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("v1/tokens/verify") { request, _ in try await verify(request) }
    }

    struct Answer: Encodable, Sendable {
        var valid: Bool
        var code: String
        var message: String
        /// The token's payload exactly as signed (times in epoch seconds, as JWTs carry them).
        var claims: JSONValue?
        var licenseStatus: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(valid, forKey: .valid)
            try container.encode(code, forKey: .code)
            try container.encode(message, forKey: .message)
            try container.encode(claims, forKey: .claims)
            try container.encode(licenseStatus, forKey: .licenseStatus)
        }

        enum CodingKeys: String, CodingKey { case valid, code, message, claims, licenseStatus }
    }

    /// The decoded payload segment of a verified token.
    static func payload(of token: String) -> JSONValue? {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let data = Base64URL.decode(String(parts[1])) else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    func verify(_ request: Request) async throws -> Response {
        struct Body: Decodable { var token: String }
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["token"]).decode(Body.self)
        let now = clock.now()
        let claims = Self.payload(of: body.token)
        let token: MachineToken
        do {
            token = try await tokens.verify(body.token, now: now)
        } catch let refusal as TokenRefusal {
            // An expired token's claims are still worth showing; an invalid one's are not.
            refusals.record(refusal)
            return try Response.json(Answer(valid: false, code: refusal.error.code, message: refusal.error.message, claims: claims, licenseStatus: nil))
        } catch let error as TollgateError {
            return try Response.json(Answer(valid: false, code: error.code, message: error.message, claims: nil, licenseStatus: nil))
        }
        let credential = Credential.machine(token)
        let record = try await store.read { session -> MachineRecord? in
            try? await MachineActivator.loadMachine(token.machine, credential: credential, session: session, now: now, allowingRevokedToken: true)
        }
        guard let record else {
            return try Response.json(Answer(valid: false, code: TokenCode.tokenInvalid.rawValue, message: "The token names a machine that does not exist.", claims: nil, licenseStatus: nil))
        }
        let status = record.license.status(at: now, policy: record.policy).name
        do {
            try credential.requireCurrent(for: record, now: now)
        } catch {
            refusals.record(error)
            return try Response.json(Answer(valid: false, code: error.error.code, message: error.error.message, claims: claims, licenseStatus: status))
        }
        guard record.machine.state == .active else {
            return try Response.json(
                Answer(
                    valid: false, code: TokenCode.machineDeactivated.rawValue, message: "The machine was deactivated as dead; a heartbeat within the resurrection window brings it back.",
                    claims: claims, licenseStatus: status))
        }
        return try Response.json(Answer(valid: true, code: TokenCode.valid.rawValue, message: "The token is valid.", claims: claims, licenseStatus: status))
    }
}
