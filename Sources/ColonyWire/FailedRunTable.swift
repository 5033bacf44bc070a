import DequeModule
import ZeroMQ

/// Runs that failed or were cancelled, as a broker or an agent knows them: their requests are
/// refused and their handlers skipped. Bounded in count (the oldest entries go first) and in
/// age, so memory stays bounded however many runs fail.
public struct FailedRunTable: Sendable {
    struct Entry: Sendable {
        let record: FailedRun
        let recordedAt: MonotonicTime
    }

    private var entries: [String: Entry] = [:]
    private var order: Deque<(run: String, at: MonotonicTime)> = []
    public let capacity: Int
    public let timeToLive: Duration

    public init(capacity: Int, timeToLive: Duration) {
        self.capacity = max(1, capacity)
        self.timeToLive = timeToLive
    }

    public var count: Int { entries.count }

    /// Records (or refreshes) a failed run; returns whether it was new.
    @discardableResult
    public mutating func record(_ failed: FailedRun, now: MonotonicTime) -> Bool {
        let isNew = entries[failed.run] == nil
        entries[failed.run] = Entry(record: failed, recordedAt: now)
        order.append((failed.run, now))
        while entries.count > capacity, let oldest = order.popFirst() {
            if entries[oldest.run]?.recordedAt == oldest.at { entries[oldest.run] = nil }
        }
        return isNew
    }

    /// The failure of `run`, if it is known and not expired.
    public func failure(of run: String) -> FailedRun? {
        entries[run]?.record
    }

    /// Forgets entries older than the time to live.
    public mutating func expire(now: MonotonicTime) {
        while let oldest = order.first, now.since(oldest.at) > timeToLive {
            order.removeFirst()
            if entries[oldest.run]?.recordedAt == oldest.at { entries[oldest.run] = nil }
        }
    }

    /// Every known failed run, oldest first.
    public var all: [FailedRun] {
        order.compactMap { item in entries[item.run].flatMap { $0.recordedAt == item.at ? $0.record : nil } }
    }
}
