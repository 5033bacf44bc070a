import DequeModule
import ColonyCore

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

/// Ended runs as a gate keeps them: failed and cancelled runs in one table, completed ones in
/// another of the same bounds, so however many runs complete they never push a failure out
/// before its time.
public struct EndedRunTables: Sendable {
    private var stopped: FailedRunTable
    private var completed: FailedRunTable

    public init(capacity: Int, timeToLive: Duration) {
        stopped = FailedRunTable(capacity: capacity, timeToLive: timeToLive)
        completed = FailedRunTable(capacity: capacity, timeToLive: timeToLive)
    }

    /// Failed and cancelled runs known.
    public var stoppedCount: Int { stopped.count }

    /// Records how a run ended; returns whether it was new.
    @discardableResult
    public mutating func record(_ ended: FailedRun, now: MonotonicTime) -> Bool {
        ended.stopsWork ? stopped.record(ended, now: now) : completed.record(ended, now: now)
    }

    /// How `run` ended, if known: a failure or cancellation wins over a completion.
    public func ending(of run: String) -> FailedRun? {
        stopped.failure(of: run) ?? completed.failure(of: run)
    }

    public mutating func expire(now: MonotonicTime) {
        stopped.expire(now: now)
        completed.expire(now: now)
    }

    /// Every known ended run: failures first, each table oldest first.
    public var all: [FailedRun] { stopped.all + completed.all }
}
