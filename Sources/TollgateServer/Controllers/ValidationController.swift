import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TollgateCore

/// `POST /v1/licenses/validate`: no API token needed, the key is the credential.
/// Unknown body fields are ignored so that older servers accept newer clients.
struct ValidationController: Sendable {
    let service: LicenseValidationService
    let limits: BodyLimits

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("v1/licenses/validate") { request, context in
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
            } catch is NIOTooManyBytesError {
                throw TollgateError.payloadTooLarge(limit: limits.maxBodyBytes)
            }
            let body = try APICoding.decode(LicenseValidationService.Request.self, from: Data(buffer.readableBytesView))
            let (answer, signature) = try await service.validate(body, remoteAddress: context.remoteAddress)
            return try Response.json(raw: answer, headers: [HTTPField.Name(ResponseSignature.headerName)!: signature])
        }
    }
}
