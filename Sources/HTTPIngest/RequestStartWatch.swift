import NIOCore

/// Sits in front of the HTTP decoder and tells the connection's ``RequestHandler`` when bytes
/// arrive: the decoder reports a request only once its whole head is in, so without this a client
/// sending its head a byte at a time would be held to the idle timeout, not the request timeout.
final class RequestStartWatch: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private weak var handler: RequestHandler?

    init(_ handler: RequestHandler) { self.handler = handler }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handler?.bytesArrived()
        context.fireChannelRead(data)
    }
}
