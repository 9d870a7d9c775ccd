/// An error with a stable code, as the API answers it and the SDKs report it: the one protocol
/// every area's typed errors conform to. The server chooses the HTTP status in one place.
public protocol CodedError: Error, Sendable {
    /// The stable, machine-readable code (`SUSPENDED`, `FILE_MALFORMED`…).
    var code: String { get }
    /// A sentence for a person.
    var message: String { get }
    /// The request field the error is about, if one is.
    var field: String? { get }
}

/// Why a format could not be made or read from the input given: a bad stored key, a license file
/// where a machine file is needed. Reading files and tokens has its own errors
/// (``LicenseFileError``, ``LicenseKeyError``).
public enum FormatError: CodedError, Equatable {
    /// A value does not have the form the format needs.
    case invalid(field: String, message: String)
    /// Sealing failed (the platform's AES-GCM gave no combined box).
    case sealingFailed

    public var code: String {
        switch self {
        case .invalid: "VALIDATION_FAILED"
        case .sealingFailed: "INTERNAL"
        }
    }

    public var message: String {
        switch self {
        case .invalid(_, let message): message
        case .sealingFailed: "The file could not be sealed."
        }
    }

    public var field: String? {
        if case .invalid(let field, _) = self { return field }
        return nil
    }
}
