import Foundation
import Synchronization
import ColonyCore
import ZeroMQ

/// Wakes the broker's routing loop once a tick while it has nothing to read, by sending a
/// message into its ROUTER over `inproc` from a thread of its own.
///
/// The loop blocks in its receive with no timeout, as the minimal C broker does: a receive
/// with a timeout makes the kernel arm and cancel a timer each time the loop sleeps, about a
/// microsecond a request on this VM when the loop sleeps between requests (PERFORMANCE.md, "A
/// tenth look"). Timers still run on time: every turn checks them, and an idle loop gets a turn
/// at least once a tick from these messages.
///
/// A tick comes from a routing id of 24 random bytes, which a remote peer (that may choose its
/// own id) cannot guess, and is taken out before anything reads the message as a peer's. At
/// most one tick waits in the router at a time (`pending`), so a loop that does not run (a
/// stopped process, a long turn) finds one tick, not a backlog.
final class RoutingTicker: Sendable {
    /// The routing id the ticks arrive from.
    let id: [UInt8]
    private let pending = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Connects a ticker to `endpoint` (an `inproc` endpoint the router has bound) on a new
    /// thread, which then sends a tick every `interval` while none is waiting.
    static func start(connectingTo endpoint: String, every interval: Duration) throws(ZMQError) -> RoutingTicker {
        var id: [UInt8] = Array("tick".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 { id.append(UInt8.random(in: .min ... .max, using: &generator)) }
        let ticker = RoutingTicker(id: id)
        let _: Bool = try startOnThread(named: "colony-ticker") { ready in
            ticker.run(connectingTo: endpoint, every: interval, ready: ready)
            ticker.finished.signal()
        }
        return ticker
    }

    private init(id: [UInt8]) {
        self.id = id
    }

    /// Whether a received message is a tick: checked on every message, so the length first.
    func isTick(_ parts: ReceivedParts) -> Bool {
        guard parts.count == 2, parts[0].count == id.count else { return false }
        return parts[0].withUnsafeBytes { received in
            id.withUnsafeBytes { memcmp(received.baseAddress!, $0.baseAddress!, $0.count) == 0 }
        }
    }

    /// Called by the routing loop when it has read a tick: the next may be sent.
    func taken() {
        pending.store(false, ordering: .relaxed)
    }

    /// Stops the ticker's thread and waits until it has closed its socket (at most one interval).
    func stop() {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
    }

    /// The ticker's thread: its socket lives and is closed here, before `stop()` returns.
    private func run(connectingTo endpoint: String, every interval: Duration, ready: (Result<Bool, ZMQError>) -> Void) {
        let socket: Socket
        do throws(ZMQError) {
            socket = try Socket(.dealer)
            try socket.setRoutingID(id)
            try socket.connect(endpoint)
        } catch {
            ready(.failure(error))
            return
        }
        ready(.success(true))
        let microseconds = useconds_t(clamping: interval.nanosecondsClamped / 1_000)
        while !stopping.load(ordering: .relaxed) {
            usleep(microseconds)
            guard pending.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { continue }
            let sent = (try? socket.sendEmptyFrame(wait: false)) ?? false
            if !sent { pending.store(false, ordering: .relaxed) }
        }
    }
}
