import CZeroMQ

/// The classic ZeroMQ socket types (libzmq 4.3 without the draft API).
public enum SocketType: Sendable {
    case router, dealer, request, reply, publisher, subscriber, xPublisher, xSubscriber, pair, push, pull

    var rawValue: Int32 {
        switch self {
        case .router: return ZMQ_ROUTER
        case .dealer: return ZMQ_DEALER
        case .request: return ZMQ_REQ
        case .reply: return ZMQ_REP
        case .publisher: return ZMQ_PUB
        case .subscriber: return ZMQ_SUB
        case .xPublisher: return ZMQ_XPUB
        case .xSubscriber: return ZMQ_XSUB
        case .pair: return ZMQ_PAIR
        case .push: return ZMQ_PUSH
        case .pull: return ZMQ_PULL
        }
    }
}
