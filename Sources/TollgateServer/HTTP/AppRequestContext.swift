import Hummingbird
import Logging
import NIOCore
import TollgateDomain
import TollgateFormats

/// Who is calling: an API token, a license key, or a machine's activation token.
enum Credential: Sendable {
    /// `Authorization: Bearer tga_…` / `tgr_…`.
    case apiToken(APIToken)
    /// `Authorization: License TG1-…`: a verified key of `licenseId` in `accountId`.
    case license(licenseId: String, accountId: String)
    /// `Authorization: Bearer eyJ…`: a verified, unexpired activation token (versions not yet checked).
    case machine(MachineToken)

    var accountId: String {
        switch self {
        case .apiToken(let token): token.accountId
        case .license(_, let accountId): accountId
        case .machine(let token): token.account
        }
    }

    /// The audit actor: a token id, `license:<id>` or `machine:<id>`.
    var actor: String {
        switch self {
        case .apiToken(let token): token.id
        case .license(let licenseId, _): "license:\(licenseId)"
        case .machine(let token): "machine:\(token.machine)"
        }
    }
}

/// The context of every request: the caller's address and, once the authentication
/// middleware has run, the credential it presented.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address: the peer's, or the one a trusted proxy forwards
    /// (``ClientAddressMiddleware``).
    public internal(set) var remoteAddress: String?
    /// The credential that authenticated the request, if one did.
    var credential: Credential?
    /// Whether a portal made the request in process (``APIDispatcher``).
    let inProcess: Bool

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
        credential = nil
        inProcess = false
    }

    /// A request the portals make in process (``APIDispatcher``), already authenticated as `caller`.
    init(internalCaller caller: APIToken, remoteAddress: String?, logger: Logger) {
        coreContext = .init(source: InternalSource(logger: logger))
        self.remoteAddress = remoteAddress
        credential = .apiToken(caller)
        inProcess = true
    }

    /// Bodies are collected by ``JSONBody`` against the configured limit, not this one.
    public var maxUploadSize: Int { .max }
}

/// Where an in-process request's context comes from: only a logger.
private struct InternalSource: RequestContextSource {
    let logger: Logger
}

/// The context of admin routes: an API token is required, so no handler checks authentication again.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let token: APIToken
    public let remoteAddress: String?

    public init(context: AppRequestContext) throws {
        guard case .apiToken(let token) = context.credential else {
            if context.credential != nil {
                throw TollgateError.forbidden(message: "This route needs an API token; license keys and machine tokens may only use the machine routes.")
            }
            throw TollgateError.unauthorized(message: "This route needs an API token: send 'Authorization: Bearer <token>'.")
        }
        self.coreContext = context.coreContext
        self.token = token
        self.remoteAddress = context.remoteAddress
    }

    /// The caller's account.
    public var accountId: String { token.accountId }
    /// The audit actor: the token's id.
    public var actor: String { token.id }
}

/// The context of machine routes (activation, heartbeats, check-out, leases): any credential.
/// Handlers confine a license key to its license and a machine token to its machine.
public struct MachineRouteContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    let credential: Credential
    public let remoteAddress: String?

    public init(context: AppRequestContext) throws {
        guard let credential = context.credential else {
            throw TollgateError.unauthorized(message: "This route needs a credential: 'Authorization: License <key>', a machine token or an API token.")
        }
        self.coreContext = context.coreContext
        self.credential = credential
        self.remoteAddress = context.remoteAddress
    }

    var accountId: String { credential.accountId }
    var actor: String { credential.actor }
}
