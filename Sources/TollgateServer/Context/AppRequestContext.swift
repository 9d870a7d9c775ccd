import Hummingbird
import Logging
import NIOCore
import TollgateCore

/// The context of every request: the caller's address and, once the authentication
/// middleware has run, the token it presented.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address.
    public let remoteAddress: String?
    /// The token that authenticated the request, if one did.
    public var token: APIToken?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
        token = nil
    }

    /// Bodies are collected by ``JSONBody`` against the configured limit, not this one.
    public var maxUploadSize: Int { .max }
}

/// The context of routes that need an API token: `token` is not optional, so no handler
/// checks authentication again.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let token: APIToken
    public let remoteAddress: String?

    public init(context: AppRequestContext) throws {
        guard let token = context.token else {
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
