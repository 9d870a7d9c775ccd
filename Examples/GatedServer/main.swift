// An app that sells its reports: every route but /healthz needs a valid license; /reports counts
// against the tier's monthly executions; /sso needs the "sso" entitlement (Enterprise); /api is
// held to the tier's requests per second. Run it against a Tollgate server:
//
//   TOLLGATE_URL=http://127.0.0.1:8080 TOLLGATE_PRODUCT_ID=prd_… TOLLGATE_JWKS_FILE=jwks.json \
//   TOLLGATE_LICENSE_KEY=TG1-… EXAMPLE_PORT=9090 swift run tollgate-example
//
// Without TOLLGATE_LICENSE_KEY (and with no earlier activation in TOLLGATE_STORAGE) the gated
// routes answer 402.
import Foundation
import Hummingbird
import TollgateClient
import TollgateFormats
import TollgateHummingbird

let environment = ProcessInfo.processInfo.environment
func setting(_ name: String) -> String {
    guard let value = environment[name], !value.isEmpty else {
        FileHandle.standardError.write(Data("tollgate-example: set \(name)\n".utf8))
        exit(64)
    }
    return value
}

let jwks = try JSONDecoder().decode(JWKS.self, from: try Data(contentsOf: URL(fileURLWithPath: setting("TOLLGATE_JWKS_FILE"))))
let storage = URL(fileURLWithPath: environment["TOLLGATE_STORAGE"] ?? NSTemporaryDirectory() + "/tollgate-example")

// The integration: a client, an activation once per machine, the middleware, the heartbeat.
let client = try TollgateClient(.init(serverURL: URL(string: setting("TOLLGATE_URL"))!, productId: setting("TOLLGATE_PRODUCT_ID"), keys: jwks, storageDirectory: storage))
if client.activation == nil, let key = environment["TOLLGATE_LICENSE_KEY"] { try await client.activate(key: key) }
await client.validate()
let router = Router()
router.get("healthz") { _, _ in "ok" }
let gated = router.group().add(middleware: RequireValidLicense(client))
gated.group("reports").add(middleware: CheckUsageLimit(client, "executionsPerMonth", meter: "executions")).get { _, _ in "a report" }
gated.group("sso").add(middleware: RequireEntitlement(client, "sso")).get { _, _ in "single sign-on settings" }
gated.group("api").add(middleware: EnforceRateLimit(client)).get { _, _ in "an API answer" }
var app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: Int(environment["EXAMPLE_PORT"] ?? "9090") ?? 9090)))
app.addServices(HeartbeatService(client: client))
try await app.runService()
