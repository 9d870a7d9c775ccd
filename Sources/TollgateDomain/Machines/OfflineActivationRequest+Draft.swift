import TollgateFormats

extension OfflineActivationRequest {
    /// The machine an air-gapped request asks to activate.
    public var draft: MachineDraft {
        MachineDraft(fingerprint: fingerprint, name: name, platform: platform, hostname: hostname, cores: cores)
    }
}
