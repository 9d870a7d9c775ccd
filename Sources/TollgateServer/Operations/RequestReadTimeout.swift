import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request takes longer than `timeout` to arrive, from its head to
/// the end of its body, so that a client sending a byte every few seconds cannot hold a
/// connection (and its file descriptor) for as long as it likes.
///
/// Hummingbird's idle timeout covers the rest: a connection with no request at all, and a
/// request head that never completes (no part of it reaches this handler until it has), are
/// closed once no complete part has arrived for the idle timeout. Sits after HTTP decoding
/// (`HTTP1Channel.Configuration.additionalChannelHandlers`); one instance per connection.
final class RequestReadTimeout: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let loop = context.eventLoop.assumeIsolated()
            deadline = loop.scheduleTask(in: timeout) { [weak self] in
                self?.deadline = nil
                context.close(promise: nil)
            }
        case .body:
            break
        case .end:
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
