/// The OpenAPI 3.1 document served at `/openapi.json`.
///
/// The source is `Sources/TollgateServer/Resources/openapi.json`, edited by hand; SwiftPM embeds
/// it in the binary (`.embedInCode`), so a server needs no resource files. `OpenAPITests` checks
/// that it documents exactly the registered routes and every status the server answers; the e2e
/// suite validates real answers against its schemas with openapi-core.
enum OpenAPIDocument {
    /// The document's bytes, as committed.
    static let bytes: [UInt8] = PackageResources.openapi_json
    /// The document as text.
    static let json = String(decoding: bytes, as: UTF8.self)
}
