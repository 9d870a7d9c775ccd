import Foundation
import HTTPTypes
import HummingbirdOTP
import Testing
import TollgateDomain
import TollgateStore
@testable import TollgateServer

/// The portals' sign-in, sessions and web security, and their pages over the API, through the
/// router with a cookie-keeping client. The browser suite (tests/e2e/test_portals.py) walks the
/// same pages in Chromium.
@Suite struct PortalTests {
    static let password = "correct horse battery"

    /// Takes the invitation at `path` with `password` (and `email` for the first owner).
    @discardableResult
    static func join(_ browser: Browser, _ path: String, email: String? = nil, password: String = password) async throws -> Browser.Page {
        let form = try await browser.get(path)
        #expect(form.status == 200, "\(path): \(form.status)")
        var fields = ["password": password, "confirmation": password]
        if let email { fields["email"] = email }
        return try await browser.post(path, fields, csrfFrom: form)
    }

    static func signIn(_ browser: Browser, _ email: String, _ password: String = password, portal: String = "admin") async throws -> Browser.Page {
        let form = try await browser.get("/\(portal)/sign-in")
        return try await browser.post("/\(portal)/sign-in", ["email": email, "password": password], csrfFrom: form)
    }

    static func signOut(_ browser: Browser, portal: String = "admin") async throws {
        let page = try await browser.get("/\(portal)")
        _ = try await browser.post("/\(portal)/sign-out", [:], csrfFrom: page)
    }

    @Test func theFirstOwnerJoinsWithTheLinkPrintedAtStartAndSeesTheDashboard() async throws {
        let app = try await TestApp.make()
        let invitation = try #require(app.built.ownerInvitation)
        #expect(invitation.hasPrefix("/admin/join/tgi_"))
        try await app.run { client in
            let browser = Browser(client)
            #expect(try await browser.get("/admin").location == "/admin/sign-in")
            let weak = try await Self.join(browser, invitation, email: "owner@example.com", password: "password1234")
            #expect(weak.status == 422 && weak.html.contains("field-password-error") && weak.html.contains("most common passwords"))
            let joined = try await Self.join(browser, invitation, email: "owner@example.com")
            #expect(joined.status == 303 && joined.location == "/admin")
            let cookie = try #require(joined.headers[values: .setCookie].first { $0.hasPrefix("tollgate_admin=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/admin") && !cookie.contains("Secure"))
            let dashboard = try await browser.get("/admin")
            #expect(dashboard.status == 200 && dashboard.html.contains("<h1>Dashboard</h1>") && dashboard.html.contains("Owner (owner)"))
            let policy = try #require(dashboard.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"))
            #expect(dashboard.headers[.xFrameOptions] == "DENY" && dashboard.headers[.referrerPolicy] == "no-referrer")
            #expect(!dashboard.html.contains(#"style=""#) && !dashboard.html.contains("<script>"), "no inline style or script")
            let again = try await Browser(client).get(invitation)
            #expect(again.status == 409 && again.html.contains("expired or was used already"), "an invitation works once")
            // An owner who has joined is an owner credential: the last owner token may go now.
            let token = try #require(try await client.send(.get, "/v1/account").object["caller"] as? [String: Any])["tokenId"] as! String
            let users = try await client.send(.get, "/v1/users").list
            #expect(users.count == 1 && users[0]["email"] as? String == "owner@example.com" && users[0]["status"] as? String == "active")
            #expect(try await client.auditActions().contains("user.joined"))
            #expect(try await client.send(.delete, "/v1/tokens/\(token)").status == 200)
            #expect(try await browser.get("/admin/tokens").status == 200, "the owner manages the account from the portal")
        }
    }

    @Test func failedSignInsAreThrottledAndAudited() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = Browser(client)
            try await Self.join(browser, app.built.ownerInvitation!, email: "owner@example.com")
            try await Self.signOut(browser)
            #expect(try await browser.get("/admin").location == "/admin/sign-in")
            let unknown = try await Self.signIn(browser, "nobody@example.com")
            let wrong = try await Self.signIn(browser, "owner@example.com", "wrong password here")
            #expect(unknown.status == 401 && wrong.status == 401 && unknown.html.contains("The email or the password is not right."))
            #expect(wrong.html.contains("The email or the password is not right."), "the same words whether or not the address has a user")
            for _ in 0..<4 { _ = try await Self.signIn(browser, "owner@example.com", "wrong password here") }
            let throttled = try await Self.signIn(browser, "owner@example.com")
            #expect(throttled.status == 429 && throttled.headers[.retryAfter] != nil, "the right password is not even checked now")
            app.clock.advance(by: 16 * 60)
            #expect(try await Self.signIn(browser, "owner@example.com").location == "/admin")
            let actions = try await client.auditActions()
            #expect(actions.filter { $0 == "user.sign_in_failed" }.count == 5 && actions.contains("user.signed_in"))
        }
    }

    @Test func twoFactorSignInWithCodesFromTheSecretShown() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = Browser(client)
            try await Self.join(browser, app.built.ownerInvitation!, email: "owner@example.com")
            let setup = try await browser.get("/admin/two-factor")
            #expect(setup.status == 200 && setup.html.contains("otpauth://totp/Tollgate:owner@example.com?secret="))
            let secret = try await app.built.services.store.read { try await $0.users.credentials(kind: .staff, email: "owner@example.com")?.totpSecret }
            let totp = TOTP(secret: try #require(secret))
            func code() -> String { String(format: "%06d", totp.compute(date: app.clock.now())) }
            #expect(try await browser.post("/admin/two-factor", ["code": "000000"], csrfFrom: setup).status == 422)
            #expect(try await browser.post("/admin/two-factor", ["code": code()], csrfFrom: setup).location == "/admin")
            try await Self.signOut(browser)

            #expect(try await Self.signIn(browser, "owner@example.com").location == "/admin/sign-in/code")
            #expect(try await browser.get("/admin").location == "/admin/sign-in/code", "no page before the code")
            let prompt = try await browser.get("/admin/sign-in/code")
            #expect(try await browser.post("/admin/sign-in/code", ["code": code()], csrfFrom: prompt).status == 422, "the step's code was used already")
            app.clock.advance(by: 30)
            #expect(try await browser.post("/admin/sign-in/code", ["code": code()], csrfFrom: prompt).location == "/admin")
            #expect(try await browser.get("/admin").status == 200)
            #expect(try await client.send(.get, "/v1/users").list[0]["twoFactor"] as? Bool == true)
        }
    }

    @Test func anAccountThatRequiresTwoFactorSendsUsersToSetItUp() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            #expect(try await client.send(.patch, "/v1/account", ["requireTwoFactor": true]).status == 200)
            let browser = Browser(client)
            let joined = try await Self.join(browser, app.built.ownerInvitation!, email: "owner@example.com")
            #expect(joined.location == "/admin/two-factor")
            #expect(try await browser.get("/admin/licenses").location == "/admin/two-factor")
            #expect(try await browser.get("/admin/two-factor").html.contains("requires two-factor sign-in"))
        }
    }

    @Test func formsNeedTheSessionsTokenAndSessionsEnd() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = Browser(client)
            try await Self.join(browser, app.built.ownerInvitation!, email: "owner@example.com")
            let forged = try await browser.post("/admin/products", ["csrf": "forged", "code": "app", "name": "App"])
            #expect(forged.status == 403 && forged.html.contains("security token"))
            let missing = try await browser.post("/admin/products", ["code": "app", "name": "App"])
            #expect(missing.status == 403)
            #expect(try await client.send(.get, "/v1/products").list.isEmpty, "nothing was created")
            let signInForm = try await Browser(client).post("/admin/sign-in", ["csrf": "x", "email": "owner@example.com", "password": Self.password])
            #expect(signInForm.status == 403, "the sign-in form's token must match its cookie")

            let page = try await browser.get("/admin/products")
            let invalid = try await browser.post("/admin/products", ["code": "", "name": "App"], csrfFrom: page)
            #expect(invalid.status == 422 && invalid.html.contains(#"id="field-code-error""#) && invalid.html.contains(#"aria-invalid="true""#))
            #expect(try await browser.post("/admin/products", ["code": "app", "name": "App"], csrfFrom: page).status == 303)
            #expect(try await client.send(.get, "/v1/products").list.count == 1)

            app.clock.advance(by: 13 * 3600)
            #expect(try await browser.get("/admin/products").location == "/admin/sign-in?expired=1", "sessions last 12 hours")
            #expect(try await browser.get("/admin/sign-in?expired=1").html.contains("Your session has ended"))
        }
    }

    @Test func signingOutEverywhereEndsEverySession() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let first = Browser(client)
            try await Self.join(first, app.built.ownerInvitation!, email: "owner@example.com")
            let second = Browser(client)
            #expect(try await Self.signIn(second, "owner@example.com").location == "/admin")
            let page = try await first.get("/admin")
            _ = try await first.post("/admin/sign-out", ["everywhere": "1"], csrfFrom: page)
            #expect(try await second.get("/admin").location?.hasPrefix("/admin/sign-in") == true)
            #expect(try await first.get("/admin").location?.hasPrefix("/admin/sign-in") == true)
        }
    }

    @Test func pagesEscapeWhatUsersTyped() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = Browser(client)
            try await Self.join(browser, app.built.ownerInvitation!, email: "owner@example.com")
            let customer = try await client.create("/v1/customers", ["name": "<script>alert(1)</script>", "email": "x@acme.test"])
            #expect(try await client.send(.post, "/v1/meters", ["code": "exports", "name": "Exports", "aggregation": "count"]).status == 201)
            for path in ["/admin/customers", "/admin/customers/\(customer["id"] as! String)"] {
                let page = try await browser.get(path)
                #expect(page.status == 200 && page.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.html.contains("<script>alert"), "\(path): \(page.status) \(page.html.suffix(600))")
            }
            let detail = try await browser.get("/admin/customers/\(customer["id"] as! String)")
            #expect(detail.html.contains("<h2>Usage</h2>") && detail.html.contains("<td>exports</td><td>0 (0 events)</td>"), "\(detail.html)")
        }
    }

    @Test func aSupportUserMayNotReachTokensOrKeysButMayDeactivateAMachine() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let machine = try await client.activate(license.key, fingerprint: "fp-support").object["machine"] as? [String: Any]
            let machineId = try #require(machine?["id"] as? String)
            let invited = try await client.send(.post, "/v1/users", ["email": "help@example.com", "name": "Helper", "role": "support"]).object
            let link = try #require((invited["invitation"] as? [String: Any])?["url"] as? String)
            let browser = Browser(client)
            try await Self.join(browser, String(link[link.range(of: "/admin/join/")!.lowerBound...]))
            let dashboard = try await browser.get("/admin")
            #expect(dashboard.status == 200 && !dashboard.html.contains(#"href="/admin/tokens""#) && !dashboard.html.contains(#"href="/admin/keys""#))
            for path in ["/admin/tokens", "/admin/keys", "/admin/users", "/admin/webhooks"] {
                let page = try await browser.get(path)
                #expect(page.status == 403 && page.html.contains("<h1>Not allowed</h1>") && page.html.contains("support"), "\(path): \(page.status)")
            }
            let detail = try await browser.get("/admin/licenses/\(license.id)")
            #expect(detail.status == 200 && detail.html.contains("/admin/machines/\(machineId)/deactivate"), "\(detail.status) \(detail.html.suffix(800))")
            #expect(!detail.html.contains("/revoke"), "support may not revoke")
            let confirm = try await browser.get("/admin/machines/\(machineId)/deactivate?back=%2Fadmin%2Flicenses%2F\(license.id)")
            let done = try await browser.post("/admin/machines/\(machineId)/deactivate?back=%2Fadmin%2Flicenses%2F\(license.id)", [:], csrfFrom: confirm)
            #expect(done.status == 303 && done.location?.hasPrefix("/admin/licenses/\(license.id)?done=") == true)
            #expect(try await client.send(.get, "/v1/machines/\(machineId)").object["state"] as? String == "deactivated")
            let revoke = try await browser.get("/admin/licenses/\(license.id)/revoke")
            #expect(try await browser.post("/admin/licenses/\(license.id)/revoke", [:], csrfFrom: revoke).status == 403)
            let actors = try await client.send(.get, "/v1/audit-events?objectId=\(machineId)").list.map { $0["actor"] as? String }
            #expect(actors.contains(invited["id"] as? String), "the audit names the user")
        }
    }

    @Test func aCustomerUserSeesOnlyItsOwnLicensesAndFreesASeat() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let other = try await client.license()
            let mine = try await client.send(.get, "/v1/licenses/\(license.id)").object["customerId"] as! String
            let machine = try await client.activate(license.key, fingerprint: "fp-portal").object["machine"] as? [String: Any]
            let machineId = try #require(machine?["id"] as? String)
            let otherMachine = try await client.activate(other.key, fingerprint: "fp-other").object["machine"] as? [String: Any]
            let invited = try await client.send(.post, "/v1/customers/\(mine)/users", ["email": "it@acme.test", "name": "IT"]).object
            let link = try #require((invited["invitation"] as? [String: Any])?["url"] as? String)
            let browser = Browser(client)
            let joined = try await Self.join(browser, String(link[link.range(of: "/portal/join/")!.lowerBound...]))
            #expect(joined.location == "/portal")
            let list = try await browser.get("/portal")
            #expect(list.status == 200 && list.html.contains(license.id) && !list.html.contains(other.id))
            #expect(try await browser.get("/portal/licenses/\(other.id)").status == 404)
            #expect(try await browser.get("/portal/machines/\(otherMachine?["id"] as! String)/deactivate").status == 404)
            #expect(try await browser.get("/admin").location == "/admin/sign-in", "a customer's session is not staff's")
            let page = try await browser.get("/portal/licenses/\(license.id)")
            #expect(page.status == 200 && page.html.contains("fp-portal") && page.html.contains("Usage against quotas"), "\(page.status) \(page.html.suffix(800))")
            let machinePage = try await browser.get("/portal/machines/\(machineId)")
            #expect(machinePage.status == 200 && machinePage.html.contains("fp-portal"))
            let machineFile = try await browser.post("/portal/machines/\(machineId)/machine-file", [:], csrfFrom: machinePage)
            #expect(machineFile.status == 200 && machineFile.html.contains("BEGIN TOLLGATE LICENSE FILE") && machineFile.headers[.contentDisposition]?.contains(".machine") == true, "\(machineFile.status) \(machineFile.html.prefix(200))")
            let confirm = try await browser.get("/portal/machines/\(machineId)/deactivate")
            let done = try await browser.post("/portal/machines/\(machineId)/deactivate", [:], csrfFrom: confirm)
            #expect(done.status == 303)
            #expect(try await client.send(.get, "/v1/machines/\(machineId)").object["state"] as? String == "deactivated")
            let file = try await browser.post("/portal/licenses/\(license.id)/license-file", [:], csrfFrom: page)
            #expect(file.status == 200 && file.html.contains("BEGIN TOLLGATE LICENSE FILE") && file.headers[.contentDisposition]?.contains("attachment") == true)
        }
    }
}

@Suite struct CORSTests {
    @Test func noOriginIsAllowedUnlessOneIsConfigured() async throws {
        let closed = try await TestApp.make()
        try await closed.run { client in
            let reply = try await client.send(.get, "/v1/account", headers: ["Origin": "https://evil.example"])
            #expect(reply.status == 200 && reply.header("Access-Control-Allow-Origin") == nil)
        }
        let open = try await TestApp.make(environment: ["TOLLGATE_CORS_ORIGIN": "https://app.example.com"])
        try await open.run { client in
            let preflight = try await client.send(
                .options, "/v1/licenses", token: nil, headers: ["Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"])
            #expect(preflight.header("Access-Control-Allow-Origin") == "https://app.example.com")
            #expect(preflight.header("Access-Control-Allow-Headers")?.lowercased().contains("authorization") == true)
            let reply = try await client.send(.get, "/v1/account", headers: ["Origin": "https://app.example.com"])
            #expect(reply.header("Access-Control-Allow-Origin") == "https://app.example.com")
        }
        #expect(throws: (any Error).self) { try ServerConfiguration().applying(environment: ["TOLLGATE_CORS_ORIGIN": "app.example.com"]) }
    }
}

@Suite struct DashboardTests {
    /// Each figure is the roll-up's: licenses by status, validations by code, machines, meters.
    @Test func theDashboardShowsTheAccountFromItsRollUps() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            #expect(try await client.send(.post, "/v1/meters", ["code": "exports", "name": "Exports", "aggregation": "count"]).status == 201)
            let active = try await client.license()
            let suspended = try await client.license()
            try await client.send(.post, "/v1/licenses/\(suspended.id)/actions/suspend")
            _ = try await client.activate(active.key, fingerprint: "fp-dash")
            for _ in 0..<3 { _ = try await client.validate(active.key) }
            _ = try await client.validate(suspended.key)
            await app.built.flushValidationLog()
            let events = (0..<4).map { ["id": "e\($0)", "meter": "exports", "licenseId": active.id] }
            #expect(try await client.send(.post, "/v1/usage/events", ["events": events]).status == 200)
            #expect(try await app.built.runDueJobs() > 0)

            let browser = Browser(client)
            try await PortalTests.join(browser, app.built.ownerInvitation!, email: "owner@example.com")
            let page = try await browser.get("/admin")
            #expect(page.status == 200)
            func tile(_ label: String) -> String? {
                page.html.range(of: #"<span class="tile-value">(\d+)</span> <span class="tile-label">\#(label)</span>"#, options: .regularExpression)
                    .map { String(page.html[$0]).replacingOccurrences(of: #"\D+"#, with: " ", options: .regularExpression).trimmingCharacters(in: .whitespaces) }
                    .flatMap { $0.split(separator: " ").first.map(String.init) }
            }
            #expect(tile("Active licenses") == "1" && tile("Suspended") == "1" && tile("Active machines") == "1", "\(page.html)")
            #expect(page.html.contains(": 3 VALID</title>") && page.html.contains(": 1 SUSPENDED</title>"), "validations per day by code")
            #expect(page.html.contains(#"href="/admin/licenses?status=suspended">SUSPENDED</a>"#), "a code links to its licenses")
            #expect(page.html.contains(#"<td><a href="/admin/meters">exports</a></td><td>4</td>"#), "the meter's month")
        }
    }

    @Test func bulkActionsAndTheCSVExportFollowTheFilteredList() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let first = try await client.license()
            let second = try await client.license()
            let browser = Browser(client)
            try await PortalTests.join(browser, app.built.ownerInvitation!, email: "owner@example.com")
            let list = try await browser.get("/admin/licenses")
            #expect(list.html.contains(#"name="ids" value="\#(first.id)""#))
            let bulk = try await browser.send(
                .post, "/admin/licenses/bulk", form: nil, raw: "csrf=\(list.csrf!)&action=suspend&ids=\(first.id)&ids=\(second.id)&ids=lic_missing")
            #expect(bulk.status == 303 && bulk.location?.contains("Suspended%202%20licenses") == true, "\(bulk.location ?? "")")
            for id in [first.id, second.id] {
                #expect(try await client.send(.get, "/v1/licenses/\(id)").object["status"] as? String == "suspended")
            }
            let csv = try await browser.get("/admin/licenses.csv?status=suspended")
            let lines = csv.html.split(separator: "\r\n")
            #expect(csv.status == 200 && csv.headers[.contentType]?.hasPrefix("text/csv") == true && lines.count == 3, "\(csv.html)")
            #expect(lines[0] == "id,key,status,customerId,productId,policyId,tier,expiresAt,createdAt" && lines.dropFirst().allSatisfy { $0.contains(",suspended,") })
            #expect(AdminDetails.csvField("=SUM(A1)") == "'=SUM(A1)" && AdminDetails.csvField("a,b") == "\"a,b\"", "no formulas, quoted commas")
            let rotate = try await browser.get("/admin/keys/rotate")
            #expect(try await browser.post("/admin/keys/rotate", [:], csrfFrom: rotate).status == 303)
            #expect(try await client.send(.get, "/v1/keys").list.count == 2)
        }
    }
}
