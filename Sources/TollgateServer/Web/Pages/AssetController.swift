import Foundation
import Hummingbird
import NIOCore

/// `/assets/tollgate.css` and `/assets/tollgate.js`: the portals' one stylesheet and one script
/// module, embedded in the binary, cached for a day.
struct AssetController: Sendable {
    func addRoutes(to router: Router<AppRequestContext>) {
        let assets: [(String, [UInt8], String)] = [
            ("tollgate.css", PackageResources.tollgate_css, "text/css; charset=utf-8"),
            ("tollgate.js", PackageResources.tollgate_js, "text/javascript; charset=utf-8"),
        ]
        for (name, bytes, type) in assets {
            let buffer = ByteBuffer(bytes: bytes)
            router.get(RouterPath("assets/\(name)")) { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: type, .cacheControl: "public, max-age=86400", .xContentTypeOptions: "nosniff"],
                    body: .init(byteBuffer: buffer))
            }
        }
    }
}
