import CZeroMQ
import Synchronization

/// Tells whether a socket's outgoing connection came up: ZeroMQ connects in the background
/// and a PUB socket drops what it sends while nobody is connected, so a publisher that must
/// not lose events silently asks this before it sends.
///
/// Like every socket here it has one owner: create and poll it where its socket lives.
public final class ConnectionMonitor {
    private let events: Socket
    private(set) public var isConnected = false

    /// Starts monitoring `socket` (call before `socket.connect`).
    public init(_ socket: Socket) throws(ZMQError) {
        let endpoint = "inproc://colony-monitor-\(ConnectionMonitor.instances.add(1, ordering: .relaxed).newValue)"
        try socket.monitor(endpoint, events: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        events = try Socket(.pair)
        try events.connect(endpoint)
    }

    private static let instances = Atomic<Int>(0)

    /// Reads the events waiting (without blocking); true once a handshake has succeeded.
    public func poll() -> Bool {
        // Each event is [16-bit id, 32-bit value][endpoint].
        while !isConnected, let message = try? events.receiveMessage(), let first = message.first, first.count >= 2 {
            let id = first.bytes.withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self)) }
            if Int32(id) & ZMQ_EVENT_HANDSHAKE_SUCCEEDED != 0 { isConnected = true }
        }
        return isConnected
    }
}
