import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The sign-in pages of one portal (`/admin` for staff, `/portal` for customer users): sign in
/// with an email and a password, then a two-factor code or its set-up when they are needed;
/// take an invitation; sign out here or everywhere.
///
/// Before there is a session, forms carry the CSRF token of a cookie of their own (double submit);
/// after, the session's.
struct SessionPages: Sendable {
    let kind: User.Kind
    let renderer: PageRenderer
    let sessions: PageSessions
    let signIn: PasswordSignIn
    let code: CodeSignIn
    let enroller: TwoFactorEnroller
    let joiner: UserJoiner
    let limits: BodyLimits
    let secure: Bool

    var portal: String { kind == .staff ? "admin" : "portal" }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("sign-in") { request, _ in try signInPage(request) }
        group.post("sign-in") { request, context in try await signIn(request, context) }
        group.get("sign-in/code") { request, _ in try await codePage(request) }
        group.post("sign-in/code") { request, context in try await checkCode(request, context) }
        group.get("two-factor") { request, _ in try await twoFactorPage(request) }
        group.post("two-factor") { request, _ in try await enroll(request) }
        group.get("join/:secret") { request, context in try await joinPage(request, context) }
        group.post("join/:secret") { request, context in try await join(request, context) }
        group.post("sign-out") { request, _ in try await signOut(request) }
    }

    // MARK: Sign in

    func signInPage(_ request: Request, email: String = "", problem: String? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        let (token, cookie) = formToken(request)
        var frame = PageFrame(portal: portal, title: "Sign in")
        frame.problem = problem
        if problem == nil, request.uri.queryParameters.get("expired") != nil { frame.notice = "Your session has ended; sign in again." }
        let fields = [
            FormField(name: "email", label: "Email", kind: .email, value: email, required: true, autocomplete: "email"),
            FormField(name: "password", label: "Password", kind: .password, required: true, autocomplete: "current-password"),
        ]
        var response = renderer.page("sign-in", frame: frame, ["action": "/\(portal)/sign-in", "csrf": token, "fields": fields, "submit": "Sign in"], status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormBody.read(request, limit: limits.maxBodyBytes)
        try PageSessions.checkCSRF(form, expected: request.cookies[WebSession.formCookie]?.value)
        let email = form["email"] ?? ""
        do {
            let opened = try await signIn.signIn(kind: kind, email: email, password: form["password"] ?? "", address: context.remoteAddress)
            throw PageRedirect(
                location: next(after: opened.session.stage), cookies: [WebSession.cookie(kind, secret: opened.secret, expiresAt: opened.session.expiresAt, secure: secure)])
        } catch let error as TollgateError {
            guard case .unauthorized = error else { throw error }
            return try signInPage(request, email: email, problem: error.message, status: .unauthorized)
        }
    }

    func next(after stage: String) -> String {
        switch WebSession.Stage(rawValue: stage) {
        case .code?: "/\(portal)/sign-in/code"
        case .enroll?: "/\(portal)/two-factor"
        default: "/\(portal)"
        }
    }

    // MARK: Two-factor code

    func codePage(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (_, session) = try await sessions.pending(request, kind), session.stage == WebSession.Stage.code.rawValue else {
            throw PageRedirect(location: "/\(portal)/sign-in")
        }
        let field = FormField(
            name: "code", label: "Code from your authenticator app", kind: .text, required: true, hint: "Six digits; a new one every 30 seconds.", error: error,
            autocomplete: "off")
        return renderer.page(
            "sign-in", frame: PageFrame(portal: portal, title: "Two-factor sign-in"),
            ["action": "/\(portal)/sign-in/code", "csrf": session.csrf, "fields": [field], "submit": "Sign in"], status: status)
    }

    func checkCode(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormBody.read(request, limit: limits.maxBodyBytes)
        guard let (hash, session) = try await sessions.pending(request, kind) else { throw PageRedirect(location: "/\(portal)/sign-in?expired=1") }
        try PageSessions.checkCSRF(form, expected: session.csrf)
        do {
            try await code.check(sessionHash: hash, code: form["code"] ?? "", address: context.remoteAddress)
        } catch TollgateError.invalid(_, _, let message) {
            return try await codePage(request, error: message, status: .unprocessableContent)
        } catch TollgateError.unauthorized {
            throw PageRedirect(location: "/\(portal)/sign-in?expired=1")
        }
        throw PageRedirect(location: "/\(portal)")
    }

    // MARK: Setting up two-factor sign-in

    func twoFactorPage(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (_, session) = try await sessions.pending(request, kind), session.stage != WebSession.Stage.code.rawValue else {
            throw PageRedirect(location: "/\(portal)/sign-in")
        }
        let setup = try await enroller.setup(userId: session.userId)
        var frame = PageFrame(portal: portal, title: "Set up two-factor sign-in")
        if session.stage == WebSession.Stage.enroll.rawValue { frame.notice = "This account requires two-factor sign-in. Set it up to go on." }
        let field = FormField(name: "code", label: "Code from the app", required: true, error: error, autocomplete: "off")
        return renderer.page(
            "two-factor", frame: frame,
            ["action": "/\(portal)/two-factor", "csrf": session.csrf, "fields": [field], "secret": setup.base32, "link": setup.link], status: status)
    }

    func enroll(_ request: Request) async throws -> Response {
        let form = try await FormBody.read(request, limit: limits.maxBodyBytes)
        guard let (hash, session) = try await sessions.pending(request, kind), session.stage != WebSession.Stage.code.rawValue else {
            throw PageRedirect(location: "/\(portal)/sign-in?expired=1")
        }
        try PageSessions.checkCSRF(form, expected: session.csrf)
        do {
            try await enroller.confirm(userId: session.userId, sessionHash: hash, code: form["code"] ?? "")
        } catch TollgateError.invalid(_, _, let message) {
            return try await twoFactorPage(request, error: message, status: .unprocessableContent)
        }
        throw PageRedirect(location: "/\(portal)")
    }

    // MARK: Invitations

    func joinPage(_ request: Request, _ context: AppRequestContext, errors: [String: String] = [:], problem: String? = nil, email: String = "",
        status: HTTPResponse.Status = .ok) async throws -> Response
    {
        let user = try await joiner.invitee(secret: try context.parameters.require("secret"))
        let (token, cookie) = formToken(request)
        var frame = PageFrame(portal: portal, title: "Join \(user.kind == .staff ? "the team" : "the customer portal")")
        frame.problem = problem
        var fields: [FormField] = []
        if user.email.isEmpty {
            fields.append(FormField(name: "email", label: "Your email", kind: .email, value: email, required: true, error: errors["email"], autocomplete: "email"))
        }
        fields += [
            FormField(
                name: "password", label: "Choose a password", kind: .password, required: true,
                hint: "At least \(PasswordRules.minimumLength) characters, not a common password.", error: errors["password"], autocomplete: "new-password"),
            FormField(name: "confirmation", label: "The password again", kind: .password, required: true, error: errors["confirmation"], autocomplete: "new-password"),
        ]
        var response = renderer.page(
            "sign-in", frame: frame,
            ["action": request.uri.path, "csrf": token, "fields": fields, "submit": "Join", "intro": user.email.isEmpty ? "" : "Signing in as \(user.email)."],
            status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    func join(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormBody.read(request, limit: limits.maxBodyBytes)
        try PageSessions.checkCSRF(form, expected: request.cookies[WebSession.formCookie]?.value)
        do {
            let opened = try await joiner.join(
                secret: try context.parameters.require("secret"), email: form["email"], password: form["password"] ?? "",
                confirmation: form["confirmation"] ?? "", address: context.remoteAddress)
            throw PageRedirect(
                location: next(after: opened.session.stage), cookies: [WebSession.cookie(kind, secret: opened.secret, expiresAt: opened.session.expiresAt, secure: secure)])
        } catch TollgateError.invalid(_, let field, let message) {
            return try await joinPage(request, context, errors: [field ?? "password": message], email: form["email"] ?? "", status: .unprocessableContent)
        } catch TollgateError.conflict(_, let message, let field?) {
            return try await joinPage(request, context, errors: [field: message], email: form["email"] ?? "", status: .conflict)
        }
    }

    // MARK: Sign out

    func signOut(_ request: Request) async throws -> Response {
        let form = try await FormBody.read(request, limit: limits.maxBodyBytes)
        if let (hash, session) = try await sessions.pending(request, kind) {
            try PageSessions.checkCSRF(form, expected: session.csrf)
            let everywhere = form["everywhere"] != nil
            try await sessions.store.write { store in
                if everywhere { try await store.webSessions.deleteAll(userId: session.userId) } else { try await store.webSessions.delete(tokenHash: hash) }
            }
        }
        throw PageRedirect(location: "/\(portal)/sign-in", cookies: [WebSession.cookie(kind, secret: nil, expiresAt: nil, secure: secure)])
    }

    /// The sign-in forms' CSRF token: the form cookie's, or a new one with the cookie to set.
    func formToken(_ request: Request) -> (String, Cookie?) {
        if let value = request.cookies[WebSession.formCookie]?.value, value.count == 32 { return (value, nil) }
        let token = Secret.generate(prefix: "", length: 32)
        return (token, Cookie(name: WebSession.formCookie, value: token, path: "/", secure: secure, httpOnly: true, sameSite: .lax))
    }
}
