import Foundation
import Hummingbird

/// Ends a page's handler with a `303 See Other` to `location` (after a form, or to the sign-in).
struct PageRedirect: Error {
    var location: String
    var cookies: [Cookie] = []

    var response: Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }
}
