import Foundation
import HTTPTypes
import Hummingbird
import TollgateDomain
import TollgateFormats

/// `POST /v1/licenses/validate`: no API token needed, the key is the credential.
/// Unknown body fields are ignored so that older servers accept newer clients.
struct ValidationController: Sendable {
    let service: LicenseValidationService
    let limits: BodyLimits

    static let signatureHeader = HTTPField.Name(ResponseSignature.headerName)!

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("v1/licenses/validate") { request, context in
            let data = try await JSONBody.collect(request, limit: limits.maxBodyBytes)
            let body = try APICoding.decode(LicenseValidationService.Request.self, from: data)
            let (answer, signature, limit) = try await service.validate(body, remoteAddress: context.remoteAddress)
            var headers: HTTPFields = [Self.signatureHeader: signature]
            if let limit { headers.append(contentsOf: limit.headers) }
            return try Response.json(raw: answer, headers: headers)
        }
    }
}
