import ColonyCore
import ColonyWire
import Synchronization
import ZeroMQ

/// Every event the broker forwards, numbered and kept (within bounds) before subscribers get
/// it, so a reader that was down reads what it missed (`mmi.events.read`): the orchestrator's
/// triggers start runs from here, so an event between a publish and a run start survives
/// kill -9 of the orchestrator, and of the broker too when the journal has a directory.
/// The event thread appends; the routing thread reads.
public final class EventJournal: Sendable {
    /// The journal's identity: readers' cursors belong to one journal.
    public let id: String
    /// Where it is kept; nil: in memory.
    public let directory: String?
    private let window: Mutex<JournalWindow>
    /// Only the event thread writes; the lock is never contended.
    private let file: Mutex<JournalFile?>
    private let newestSeq: Atomic<UInt64>
    let journaled = Atomic<Int>(0)
    let writeFailures = Atomic<Int>(0)

    /// Opens the journal the settings describe: a directory's records are loaded (and the
    /// directory locked for this broker), otherwise a new journal starts in memory.
    public static func open(_ settings: EventJournalSettings) throws(JournalError) -> EventJournal {
        guard case .directory(let directory) = settings.location else { return inMemory(settings) }
        let (file, records) = try JournalFile.open(directory, segmentBytes: max(64 << 10, settings.maxBytes / 8))
        return EventJournal(id: file.id, directory: directory, file: file, records: records, settings: settings)
    }

    /// A new journal kept in memory only (gone when the broker stops).
    public static func inMemory(_ settings: EventJournalSettings = .inMemory) -> EventJournal {
        EventJournal(id: String(UInt64.random(in: 1...UInt64.max), radix: 16), directory: nil, file: nil, records: [], settings: settings)
    }

    private init(id: String, directory: String?, file: sending JournalFile?, records: [JournalRecord], settings: EventJournalSettings) {
        self.id = id
        self.directory = directory
        var window = JournalWindow(maxEvents: settings.maxEvents, maxBytes: settings.maxBytes)
        for record in records { window.append(record) }
        newestSeq = Atomic(window.newest)
        self.window = Mutex(window)
        self.file = Mutex(file)
    }

    /// The newest sequence number written (0: none yet).
    public var newest: UInt64 { newestSeq.load(ordering: .acquiring) }

    /// Journals published messages (`[topic, header?, payload…]`), written to the directory
    /// before readers can see them; returns whether they were journaled (a failed write is
    /// counted, and the events still go to subscribers).
    func append(_ messages: [[Frame]]) -> Bool {
        guard !messages.isEmpty else { return true }
        let now = Int64(clamping: WallClock.nowMilliseconds())
        let first = newest &+ 1
        let records = messages.enumerated().map { offset, frames in
            JournalRecord(seq: first &+ UInt64(offset), atMilliseconds: now, frames: frames.map(\.bytes))
        }
        let written = file.withLock { file -> Bool in
            guard let file else { return true }
            var bytes: [UInt8] = []
            for record in records { JournalFile.encode(record, into: &bytes) }
            return file.write(bytes, first: first, oldestKept: window.withLock(\.oldest))
        }
        guard written else {
            writeFailures.add(records.count, ordering: .relaxed)
            return false
        }
        window.withLock { window in
            for record in records { window.append(record) }
        }
        newestSeq.store(records[records.count - 1].seq, ordering: .releasing)
        journaled.add(records.count, ordering: .relaxed)
        return true
    }

    /// The events a reader asks for (see `JournalWindow.read`): the batch's head and the
    /// listed events' frames.
    func read(_ request: JournalRead) -> (batch: JournalBatch, frames: [[UInt8]]) {
        window.withLock { $0.read(request, journal: id) }
    }

    /// How many events and bytes are kept.
    var extent: (events: Int, bytes: Int) {
        window.withLock { ($0.records.count, $0.bytes) }
    }
}
