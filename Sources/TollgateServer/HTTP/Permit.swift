import Hummingbird
import TollgateDomain
import TollgateFormats

/// A context that may carry an API token, whose role ``Permit`` checks.
protocol PermittedContext: RequestContext {
    /// The API token that authenticated the request; `nil` for license keys and machine tokens,
    /// which their routes confine to their own license and machine instead.
    var apiToken: APIToken? { get }
}

extension AuthenticatedContext: PermittedContext {
    var apiToken: APIToken? { token }
}

extension MachineRouteContext: PermittedContext {
    var apiToken: APIToken? {
        if case .apiToken(let token) = credential { return token }
        return nil
    }
}

/// Refuses a request whose API token's role lacks `permission` (403 `PERMISSION_DENIED`), before
/// the route reads its parameters or body: a role learns nothing of what it may not touch.
struct Permit<Context: PermittedContext>: RouterMiddleware {
    let permission: Permission

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token = context.apiToken, !token.role.allows(permission) {
            throw TollgateError.forbidden(
                code: RequestCode.permissionDenied,
                message: "This token's role '\(token.role.rawValue)' does not have the permission '\(permission.rawValue)' this route needs.")
        }
        return try await next(request, context)
    }
}

extension RouterMethods where Context: PermittedContext {
    /// The routes added to the group this returns need `permission` (``Permit``): every
    /// authenticated route is added through one.
    func permitting(_ permission: Permission) -> RouterGroup<Context> {
        group().add(middleware: Permit<Context>(permission: permission))
    }
}
