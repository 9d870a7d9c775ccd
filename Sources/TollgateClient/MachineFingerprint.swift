import Crypto
import Foundation

#if canImport(IOKit)
import IOKit
#endif

/// The machine's fingerprint: HMAC-SHA256 of the platform's stable machine id, keyed by the
/// product id, in hex. The raw id never leaves the machine, and two vendors' products see
/// unrelated fingerprints of one machine.
///
/// The id is `/etc/machine-id` (or `/var/lib/dbus/machine-id`) on Linux and the
/// `IOPlatformUUID` on macOS.
public enum MachineFingerprint {
    /// The fingerprint of this machine for `productId`; `nil` when the platform has no stable id.
    public static func current(productId: String) -> String? {
        rawMachineId().map { fingerprint(machineId: $0, productId: productId) }
    }

    /// The fingerprint of `machineId` for `productId`.
    public static func fingerprint(machineId: String, productId: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(machineId.utf8), using: SymmetricKey(data: Data(productId.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    static func rawMachineId() -> String? {
        #if canImport(IOKit)
        let service = IOServiceGetMatchingService(kIOMainPortDefault, IOServiceMatching("IOPlatformExpertDevice"))
        defer { IOObjectRelease(service) }
        let value = IORegistryEntryCreateCFProperty(service, "IOPlatformUUID" as CFString, kCFAllocatorDefault, 0)
        return value?.takeRetainedValue() as? String
        #else
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !id.isEmpty { return id }
            }
        }
        return nil
        #endif
    }
}
