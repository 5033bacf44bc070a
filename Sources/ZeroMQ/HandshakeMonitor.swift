import CZeroMQ
import Synchronization

/// Counts the handshakes a listening socket refused: peers with no CURVE key or the wrong
/// server key (the mechanism fails before any ZAP request), or refused by the ZAP handler.
/// Like every socket here it has one owner: create it and call `drain()` where its socket lives.
public final class HandshakeMonitor {
    private let events: Socket

    /// Starts monitoring `socket` (call before it binds).
    public init(_ socket: Socket) throws(ZMQError) {
        let endpoint = "inproc://colony-handshakes-\(HandshakeMonitor.instances.add(1, ordering: .relaxed).newValue)"
        try socket.monitor(endpoint, events: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                           | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        events = try Socket(.pair)
        try events.connect(endpoint)
    }

    private static let instances = Atomic<Int>(0)

    /// Failed handshakes reported since the last call: (protocol or mechanism failures,
    /// authentication refusals).
    public func drain() -> (failed: Int, refused: Int) {
        var failed = 0, refused = 0
        // Each event is [16-bit id, 32-bit value][endpoint]; nothing waiting ends the loop.
        while let message = try? events.receiveMessage(), let first = message.first, first.count >= 2 {
            let id = first.bytes.withUnsafeBytes { Int32(UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self))) }
            if id & ZMQ_EVENT_HANDSHAKE_FAILED_AUTH != 0 { refused += 1 } else { failed += 1 }
        }
        return (failed, refused)
    }
}
