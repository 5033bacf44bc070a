import ColonyWire
import DequeModule

/// One journaled event: its frames as published (topic, header, payload).
struct JournalRecord: Sendable, Hashable {
    var seq: UInt64
    var atMilliseconds: Int64
    var frames: [[UInt8]]

    /// What the record counts against the journal's byte bound.
    var size: Int { frames.reduce(64) { $0 + $1.count } }
}

/// The events readers can see, oldest first, within the journal's bounds in count and bytes.
/// Pure: the journal appends what it has written and answers reads from here.
struct JournalWindow: Sendable {
    private(set) var records: Deque<JournalRecord> = []
    private(set) var bytes = 0
    /// The newest sequence number ever appended (0: none).
    private(set) var newest: UInt64
    let maxEvents: Int
    let maxBytes: Int

    /// The most events a read looks at, and the most frame bytes it returns (one event more
    /// if the first alone is larger).
    static let scanLimit = 10_000
    static let replyBytes = 1 << 20

    init(maxEvents: Int, maxBytes: Int, newest: UInt64 = 0) {
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
        self.newest = newest
    }

    /// The oldest sequence number kept (newest + 1 when empty).
    var oldest: UInt64 { records.first?.seq ?? newest &+ 1 }

    /// Adds a record (its seq above every earlier one) and drops the oldest past the bounds.
    mutating func append(_ record: JournalRecord) {
        records.append(record)
        bytes += record.size
        newest = record.seq
        while records.count > maxEvents || (bytes > maxBytes && records.count > 1) {
            bytes -= records.removeFirst().size
        }
    }

    /// The wanted events after `read.after` (from the oldest kept one if that is later), at
    /// most `read.limit` of them, `scanLimit` looked at and `replyBytes` returned.
    func read(_ read: JournalRead, journal: String) -> (batch: JournalBatch, frames: [[UInt8]]) {
        let after = read.journal == journal ? read.after : 0
        var through = max(after, oldest &- 1)
        var events: [JournaledEvent] = []
        var frames: [[UInt8]] = []
        var size = 0
        guard through < newest else {
            return (JournalBatch(journal: journal, oldest: oldest, newest: newest, through: min(through, newest), events: []), [])
        }
        var index = Int(through &+ 1 &- oldest)
        var scanned = 0
        while index < records.count, scanned < Self.scanLimit, events.count < read.limit {
            let record = records[index]
            if read.wants(record.frames.first ?? []) {
                let recordSize = record.frames.reduce(0) { $0 + $1.count }
                if !events.isEmpty && size + recordSize > Self.replyBytes { break }
                events.append(JournaledEvent(seq: record.seq, atMilliseconds: record.atMilliseconds, frames: record.frames.count))
                frames += record.frames
                size += recordSize
            }
            through = record.seq
            index += 1
            scanned += 1
        }
        return (JournalBatch(journal: journal, oldest: oldest, newest: newest, through: through, events: events), frames)
    }
}
