import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import TollgateDomain

/// Where and how notifications are sent: the configuration table's `TOLLGATE_SMTP_*` settings.
public struct SMTPSettings: Sendable, Equatable {
    /// How the connection is protected: STARTTLS after the greeting, TLS from the first byte
    /// (port 465), or not at all (a relay on the same host or network).
    public enum Security: String, Sendable, CaseIterable { case starttls, tls, none }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    public var from: MailAddress
    /// PEM certificates to trust besides the system's (a relay with its own CA).
    public var caFile: String?

    public init(host: String, port: Int, security: Security, username: String? = nil, password: String? = nil, from: MailAddress, caFile: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.caFile = caFile
    }
}

/// Sends one message per connection over SMTP (RFC 5321): EHLO, STARTTLS when asked, AUTH PLAIN
/// or LOGIN when a user is set, MAIL, RCPT, DATA (dot-stuffed), QUIT. Written here because no
/// SMTP package is among the ones this project may depend on; it is the protocol's small core,
/// on SwiftNIO and NIOSSL (certificates verified, the host name checked).
struct SMTPClient: Sendable {
    let settings: SMTPSettings
    /// How long one reply may take.
    var replyTimeout: TimeAmount = .seconds(30)

    /// The server's refusal or an I/O failure; `permanent` for a 5xx reply (sending again will
    /// not help), otherwise worth retrying.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var permanent: Bool
        var description: String { message }
    }

    /// Sends `message` to its `to` address.
    func send(_ message: MailMessage) async throws {
        let tls = try settings.security == .none ? nil : makeTLSContext()
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: settings.host, port: settings.port) { [settings] channel in
                    channel.eventLoop.makeCompletedFuture {
                        if settings.security == .tls, let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(settings.host)))
                        }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(message: "Cannot connect to \(settings.host):\(settings.port): \(error)", permanent: false)
        }
        try await channel.executeThenClose { inbound, outbound in
            var session = Session(inbound: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel, timeout: replyTimeout)
            try await session.expect(220, after: nil)
            var capabilities = try await session.command("EHLO \(Self.localName)", expect: 250)
            if settings.security == .starttls, let tls {
                guard capabilities.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                    throw Failure(message: "\(settings.host) does not offer STARTTLS (TOLLGATE_SMTP_SECURITY=starttls).", permanent: false)
                }
                _ = try await session.command("STARTTLS", expect: 220)
                let (pipeline, name) = (channel.channel.pipeline, Self.sniName(settings.host))
                try await channel.channel.eventLoop.submit {
                    try pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name), position: .first)
                }.get()
                capabilities = try await session.command("EHLO \(Self.localName)", expect: 250)
            }
            if let username = settings.username {
                let password = settings.password ?? ""
                let methods = capabilities.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased().split(separator: " ") ?? []
                if methods.contains("PLAIN") || !methods.contains("LOGIN") {
                    let token = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                    _ = try await session.command("AUTH PLAIN \(token)", expect: 235, secret: true)
                } else {
                    _ = try await session.command("AUTH LOGIN", expect: 334)
                    _ = try await session.command(Data(username.utf8).base64EncodedString(), expect: 334, secret: true)
                    _ = try await session.command(Data(password.utf8).base64EncodedString(), expect: 235, secret: true)
                }
            }
            _ = try await session.command("MAIL FROM:<\(message.from.address)>", expect: 250)
            _ = try await session.command("RCPT TO:<\(message.to.address)>", expect: 250, or: 251)
            _ = try await session.command("DATA", expect: 354)
            try await session.write(Self.dotStuffed(message.rendered()) + Array("\r\n.\r\n".utf8))
            try await session.expect(250, after: "the message")
            _ = try? await session.command("QUIT", expect: 221)
        }
    }

    func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile {
            configuration.additionalTrustRoots = [.file(caFile)]
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// The name sent for SNI: none for an IP address, which SNI does not carry.
    static func sniName(_ host: String) -> String? {
        host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
    }

    /// The name this client gives in EHLO.
    static let localName: String = {
        let name = ProcessInfo.processInfo.hostName
        return name.isEmpty || name.contains(" ") ? "tollgate.localdomain" : name
    }()

    /// The message with every line that starts with a dot given one more (RFC 5321 §4.5.2).
    static func dotStuffed(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var lineStart = true
        for byte in bytes {
            if lineStart && byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            lineStart = byte == UInt8(ascii: "\n")
        }
        return out
    }

    /// One connection's exchange: commands out, replies in, each reply within the timeout.
    struct Session {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let channel: any Channel
        let timeout: TimeAmount
        var buffer: [UInt8] = []

        init(
            inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel,
            timeout: TimeAmount
        ) {
            self.inbound = inbound
            self.outbound = outbound
            self.channel = channel
            self.timeout = timeout
        }

        /// Sends `line` and reads its reply, which must be `code` (or `other`); the reply's lines
        /// without their codes. A secret line (credentials) is not repeated in errors.
        mutating func command(_ line: String, expect code: Int, or other: Int? = nil, secret: Bool = false) async throws -> [String] {
            try await write(Array((line + "\r\n").utf8))
            let what = secret ? line.split(separator: " ").prefix(2).joined(separator: " ") + " …" : line
            return try await expect(code, or: other, after: what)
        }

        mutating func write(_ bytes: [UInt8]) async throws {
            do {
                try await outbound.write(ByteBuffer(bytes: bytes))
            } catch {
                // A failed TLS handshake fails the buffered write with "closed channel" and ends
                // the inbound stream with the reason (e.g. the certificate's); report that one.
                var reason = "\(error)"
                let channel = channel
                let timer = channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
                defer { timer.cancel() }
                do { _ = try await inbound.next() } catch let closing { reason = "\(closing)" }
                throw Failure(message: "The connection closed while sending: \(reason)", permanent: false)
            }
        }

        /// Reads one reply (all its lines) and checks its code.
        @discardableResult
        mutating func expect(_ code: Int, or other: Int? = nil, after what: String?) async throws -> [String] {
            var lines: [String] = []
            while true {
                let line = try await readLine()
                guard line.count >= 3, let got = Int(line.prefix(3)) else {
                    throw Failure(message: "Not an SMTP reply: \(line.prefix(200))", permanent: false)
                }
                lines.append(String(line.dropFirst(4)))
                let more = line.count > 3 && line[line.index(line.startIndex, offsetBy: 3)] == "-"
                if more { continue }
                guard got == code || got == other else {
                    let context = what.map { " to \($0)" } ?? ""
                    throw Failure(message: "The SMTP server answered \(got)\(context): \(lines.joined(separator: " "))", permanent: (500..<600).contains(got))
                }
                return lines
            }
        }

        mutating func readLine() async throws -> String {
            while true {
                if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[..<end].last == UInt8(ascii: "\r") ? buffer[..<(end - 1)] : buffer[..<end]
                    let text = String(decoding: line, as: UTF8.self)
                    buffer.removeSubrange(...end)
                    return text
                }
                guard buffer.count < 64 * 1024 else { throw Failure(message: "An SMTP reply line is too long.", permanent: false) }
                let chunk = try await next()
                buffer += chunk.readableBytesView
            }
        }

        /// The next bytes, or a failure when none come within the timeout (the connection is
        /// closed then) or the server closed.
        mutating func next() async throws -> ByteBuffer {
            let channel = channel
            let timer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
            defer { timer.cancel() }
            guard let chunk = try await inbound.next() else {
                throw Failure(message: "The SMTP server closed the connection or did not answer within \(timeout.nanoseconds / 1_000_000_000) s.", permanent: false)
            }
            return chunk
        }
    }
}
