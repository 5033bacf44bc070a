/// A request to read the broker's event journal (`mmi.events.read`): the events on `topics`
/// (subscription prefixes, as with SUB: `orders.` or `` for all) with a sequence number
/// after `after`, at most `limit` of them, waiting up to `waitMilliseconds` for one to come.
public struct JournalRead: Codable, Sendable, Hashable {
    /// The journal the cursor belongs to; another id means the journal was replaced and the
    /// reader should start again from its beginning (`after: 0`).
    public var journal: String?
    public var after: UInt64
    public var topics: [String]
    public var limit: Int
    public var waitMilliseconds: Int

    public init(journal: String?, after: UInt64, topics: [String], limit: Int = 100, waitMilliseconds: Int = 0) {
        self.journal = journal
        self.after = after
        self.topics = topics
        self.limit = limit
        self.waitMilliseconds = waitMilliseconds
    }

    /// The most events one read returns, and how long it may wait.
    public static let maximumLimit = 1_000
    public static let maximumWaitMilliseconds = 10_000
    /// At most this many prefixes, each at most `maximumTopicBytes`.
    public static let maximumTopics = 1_000
    public static let maximumTopicBytes = 1_024

    /// The request with its numbers clamped to what the broker serves, or nil when its topics
    /// are too many or too long.
    public var bounded: JournalRead? {
        guard topics.count <= Self.maximumTopics, topics.allSatisfy({ $0.utf8.count <= Self.maximumTopicBytes }) else { return nil }
        var read = self
        read.limit = min(max(limit, 1), Self.maximumLimit)
        read.waitMilliseconds = min(max(waitMilliseconds, 0), Self.maximumWaitMilliseconds)
        return read
    }

    /// Whether an event on `topic` is one this read asks for.
    public func wants(_ topic: [UInt8]) -> Bool {
        topics.contains { topic.starts(with: $0.utf8) }
    }
}

/// The head of the broker's answer to a `JournalRead`; each listed event's frames follow it.
public struct JournalBatch: Codable, Sendable, Hashable {
    /// The journal's id: new when the journal was created (a broker without a journal
    /// directory makes a new one on every start).
    public var journal: String
    /// The oldest sequence number still kept; events before it were dropped by the bounds.
    public var oldest: UInt64
    /// The newest sequence number written (0: none yet).
    public var newest: UInt64
    /// The reader's next cursor: every event up to it was looked at (listed or not wanted).
    public var through: UInt64
    /// The events returned, in order.
    public var events: [JournaledEvent]

    public init(journal: String, oldest: UInt64, newest: UInt64, through: UInt64, events: [JournaledEvent]) {
        self.journal = journal
        self.oldest = oldest
        self.newest = newest
        self.through = through
        self.events = events
    }
}

/// One event in a `JournalBatch`: its place in the journal, when it was journaled, and how
/// many of the frames that follow the head are its.
public struct JournaledEvent: Codable, Sendable, Hashable {
    public var seq: UInt64
    public var atMilliseconds: Int64
    public var frames: Int

    public init(seq: UInt64, atMilliseconds: Int64, frames: Int) {
        self.seq = seq
        self.atMilliseconds = atMilliseconds
        self.frames = frames
    }
}
