import Foundation
import TollgateFormats

/// Field rules shared by the drafts and the request bodies.
public enum Rules {
    public static func requireText(_ value: String, field: String, max: Int = 200) throws(TollgateError) {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalid(field: field, message: "'\(field)' must not be empty.")
        }
        guard value.count <= max else {
            throw .invalid(field: field, message: "'\(field)' is longer than \(max) characters.")
        }
    }

    /// Lower-case letters, digits, `-`, `_` and `.`; starts with a letter or digit; at most 64 characters.
    public static func requireSlug(_ value: String, field: String) throws(TollgateError) {
        let allowed = value.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F || c == 0x2E
        }
        guard !value.isEmpty, value.count <= 64, allowed, let first = value.utf8.first, first != 0x2D, first != 0x5F, first != 0x2E
        else {
            throw .invalid(
                field: field,
                message: "'\(field)' must be 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit.")
        }
    }

    public static func requireMetadata(_ metadata: [String: String]?) throws(TollgateError) {
        guard let metadata else { return }
        guard metadata.count <= 50 else { throw .invalid(field: "metadata", message: "'metadata' holds at most 50 keys.") }
        for (key, value) in metadata where key.isEmpty || key.count > 64 || value.count > 1000 {
            throw .invalid(field: "metadata", message: "Metadata keys are 1 to 64 characters and values at most 1000.")
        }
    }

    public static func requireRange(_ value: Int?, field: String, min: Int, max: Int = 1_000_000_000) throws(TollgateError) {
        guard let value else { return }
        guard value >= min, value <= max else {
            throw .invalid(field: field, message: "'\(field)' must be between \(min) and \(max).")
        }
    }

    public static func requireFeatureCodes(_ codes: [String], field: String) throws(TollgateError) {
        guard codes.count <= 200 else { throw .invalid(field: field, message: "'\(field)' holds at most 200 codes.") }
        for code in codes where code != Entitlements.all {
            do { try requireSlug(code, field: field) } catch {
                throw .invalid(field: field, message: "Feature code '\(code)' is not valid: use lower-case letters, digits, '-', '_' or '.'.")
            }
        }
    }

    /// Throws 422 `INVALID_LIMIT_CODE` unless `code` is a valid limit code (``LimitCodes/isValid(_:)``).
    static func requireLimitCode(_ code: String, field: String) throws(TollgateError) {
        guard LimitCodes.isValid(code) else {
            throw .invalid(
                code: CatalogCode.invalidLimitCode, field: field,
                message: "Limit code '\(code)' is not valid: start with a lower-case letter, then up to 63 letters, digits, '_', '.' or '-'.")
        }
    }
}
