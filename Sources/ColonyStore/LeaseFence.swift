import Synchronization

/// The active orchestrator's claim on the database: the lease it holds and the term it holds
/// it with. A store given a fence checks it inside every write transaction and refuses the
/// write (`StoreError.superseded`) once another holder has taken the lease, so an orchestrator
/// that stalled past its lease cannot write after its successor started. The first refusal
/// trips the fence: whoever waits on it (the lease loop) stops serving at once.
public final class LeaseFence: Sendable {
    public let lease: String
    public let holder: String
    public let term: Int64
    private let state = Mutex<(tripped: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init(lease: String, holder: String, term: Int64) {
        self.lease = lease
        self.holder = holder
        self.term = term
    }

    /// Whether a write was refused: the lease belongs to a later term.
    public var isTripped: Bool { state.withLock(\.tripped) }

    /// Marks the fence superseded and wakes its waiters (once).
    public func trip() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.tripped else { return [] }
            state.tripped = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the fence has tripped.
    public func waitUntilTripped() async {
        await withCheckedContinuation { continuation in
            let tripped = state.withLock { state in
                if !state.tripped { state.waiters.append(continuation) }
                return state.tripped
            }
            if tripped { continuation.resume() }
        }
    }

    /// The refusal of a write under this fence, given what the lease says now.
    func refusal(holder current: String?, term currentTerm: Int64?) -> StoreError {
        .superseded(lease: lease, term: term, by: currentTerm.map { "\(current ?? "?") (term \($0))" })
    }
}
