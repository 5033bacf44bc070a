import ColonyWire
import DequeModule
import ZeroMQ

/// Runs that failed or were cancelled, as the broker knows them: the broker refuses their
/// requests. Bounded in count (the oldest entries go first) and in age, so memory stays
/// bounded however many runs fail.
struct FailedRunTable {
    struct Entry {
        let record: FailedRun
        let recordedAt: MonotonicTime
    }

    private var entries: [String: Entry] = [:]
    private var order: Deque<(run: String, at: MonotonicTime)> = []
    let capacity: Int
    let timeToLive: Duration

    init(capacity: Int, timeToLive: Duration) {
        self.capacity = max(1, capacity)
        self.timeToLive = timeToLive
    }

    var count: Int { entries.count }

    /// Records (or refreshes) a failed run.
    mutating func record(_ failed: FailedRun, now: MonotonicTime) {
        entries[failed.run] = Entry(record: failed, recordedAt: now)
        order.append((failed.run, now))
        while entries.count > capacity, let oldest = order.popFirst() {
            if entries[oldest.run]?.recordedAt == oldest.at { entries[oldest.run] = nil }
        }
    }

    /// The failure of `run`, if it is known and not expired.
    func failure(of run: String) -> FailedRun? {
        entries[run]?.record
    }

    /// Forgets entries older than the time to live.
    mutating func expire(now: MonotonicTime) {
        while let oldest = order.first, now.since(oldest.at) > timeToLive {
            order.removeFirst()
            if entries[oldest.run]?.recordedAt == oldest.at { entries[oldest.run] = nil }
        }
    }

    /// Every known failed run, oldest first.
    var all: [FailedRun] {
        order.compactMap { item in entries[item.run].flatMap { $0.recordedAt == item.at ? $0.record : nil } }
    }
}
