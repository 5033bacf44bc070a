import ColonyCore
import ColonyWire
import DequeModule

/// The replies of recently completed requests by idempotency key, so a repeated delivery
/// (at-least-once dispatch) is answered without running the handler twice; and the keys
/// being handled now, so a duplicate arriving meanwhile waits for the same outcome.
/// Bounded: the oldest keys are forgotten first.
struct IdempotencyCache {
    /// A request waiting for a duplicate that is still running.
    struct Waiter {
        var token: [UInt8]
        var header: ColonyHeader?
    }

    enum Admission {
        /// Not seen: run the handler.
        case run
        /// Done before: answer with this body.
        case replay([UInt8])
        /// Running now: the request was queued behind it.
        case joined
    }

    private let capacity: Int
    private var replies: [String: [UInt8]] = [:]
    private var order: Deque<String> = []
    private var running: [String: [Waiter]] = [:]

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// Decides what to do with a request carrying `key`.
    mutating func admit(_ key: String, token: [UInt8], header: ColonyHeader?) -> Admission {
        if let body = replies[key] { return .replay(body) }
        if running[key] != nil {
            running[key]!.append(Waiter(token: token, header: header))
            return .joined
        }
        running[key] = []
        return .run
    }

    /// The handler for `key` finished: remembers a success, and returns the duplicates to answer.
    mutating func finish(_ key: String, result: Result<[UInt8], WireError>) -> [Waiter] {
        let waiters = running.removeValue(forKey: key) ?? []
        if case .success(let body) = result, capacity > 0 {
            if replies.updateValue(body, forKey: key) == nil { order.append(key) }
            while order.count > capacity, let oldest = order.popFirst() { replies.removeValue(forKey: oldest) }
        }
        return waiters
    }
}
