import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// Renders the portals' pages from the Mustache templates embedded in the binary
/// (`Resources/Pages`, swift-mustache), each inside `layout`. `{{value}}` escapes HTML, and no
/// template uses the unescaped form for anything a user typed.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, bytes) in Self.templates {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    /// Every template, by name.
    static let templates: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache, "form": PackageResources.form_mustache, "fields": PackageResources.fields_mustache,
        "table": PackageResources.table_mustache, "message": PackageResources.message_mustache, "sign-in": PackageResources.sign_in_mustache,
        "two-factor": PackageResources.two_factor_mustache, "dashboard": PackageResources.dashboard_mustache,
        "license": PackageResources.license_mustache, "customer": PackageResources.customer_mustache,
        "datatable": PackageResources.datatable_mustache, "detail": PackageResources.detail_mustache,
    ]

    /// `template` rendered with `frame` and `values` as an HTML answer of `status`.
    func page(_ template: String, frame: PageFrame, _ values: [String: Any] = [:], status: HTTPResponse.Status = .ok) -> Response {
        var context = values
        context["frame"] = frame
        let html = library.render(context, withTemplate: template) ?? ""
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
