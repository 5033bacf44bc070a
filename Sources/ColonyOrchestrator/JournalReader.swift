import ColonyAgent
import ColonyStore
import ColonyWire
import Logging

/// The triggers' place in the broker's event journal: reads pages after the stored cursor
/// and moves the cursor (with an event's firings, in one transaction) as events are decided.
/// The first read ever starts at the journal's end: events from before a trigger was armed
/// start nothing.
struct JournalReader {
    let store: any TriggerStore
    let client: ColonyClient
    let topics: [String]
    let logger: Logger
    private var cursor: JournalCursor?
    private var loaded = false
    private var unreachable = false

    /// How long a read waits at the broker for a wanted event.
    static let wait = 1_000

    init(store: any TriggerStore, client: ColonyClient, topics: [String], logger: Logger) {
        self.store = store
        self.client = client
        self.topics = topics
        self.logger = logger
    }

    /// The next events after the cursor (possibly none, after a wait); nil when the store or the
    /// broker cannot be read now.
    mutating func next() async -> JournalPage? {
        if !loaded {
            do {
                cursor = try await store.journalCursor()
                loaded = true
            } catch {
                logger.error("cannot read the triggers' journal cursor", metadata: ["error": "\(error)"])
                return nil
            }
        }
        let read = JournalRead(journal: cursor?.journal, after: cursor?.seq ?? 0, topics: topics,
                               limit: cursor == nil ? 1 : 100, waitMilliseconds: cursor == nil ? 0 : Self.wait)
        var page: JournalPage
        do {
            page = try await client.readJournal(read, timeout: .milliseconds(Self.wait) + .seconds(5))
            if unreachable { logger.info("triggers read the broker's event journal again") }
            unreachable = false
        } catch {
            // Shutting down: the read was cancelled, nothing is wrong.
            if Task.isCancelled { return nil }
            if !unreachable { logger.warning("triggers cannot read the broker's event journal; retrying", metadata: ["error": "\(error)"]) }
            unreachable = true
            return nil
        }
        let batch = page.batch
        guard let known = cursor else {
            page.events = []
            page.batch.through = batch.newest
            cursor = JournalCursor(journal: batch.journal, seq: 0)
            return page
        }
        if known.journal != batch.journal {
            logger.warning("the broker's event journal is new (a broker without a journal directory restarted, or the directory was replaced): triggers read it from its start; events the old one held unread are lost", metadata: [
                "journal": "\(batch.journal)", "previous": "\(known.journal)",
            ])
            cursor = JournalCursor(journal: batch.journal, seq: 0)
        } else if batch.oldest > known.seq &+ 1 {
            logger.warning("events left the broker's event journal (its bounds) before the triggers read them: they start nothing", metadata: [
                "lost": "\(batch.oldest - known.seq - 1)", "journal": "\(batch.journal)",
            ])
        } else if batch.through < known.seq {
            logger.warning("the broker's event journal ends before the triggers' cursor (its last writes were lost): reading on from its end", metadata: [
                "cursor": "\(known.seq)", "newest": "\(batch.newest)",
            ])
            cursor = JournalCursor(journal: batch.journal, seq: batch.through)
        }
        return page
    }

    /// Records an event's firings and moves the cursor to `seq`, in one transaction (only the
    /// cursor when there are none, and nothing when it would not move). False when the store
    /// failed: the caller stops, and the next read starts again from the stored cursor.
    @discardableResult
    mutating func commit(_ firings: [FiringRecord], through seq: UInt64) async -> Bool {
        guard let journal = cursor?.journal, firings.isEmpty ? seq != cursor?.seq : true else { return true }
        let moved = JournalCursor(journal: journal, seq: seq)
        do {
            if firings.isEmpty {
                try await store.saveJournalCursor(moved)
            } else {
                try await store.recordFirings(firings, cursor: moved)
            }
            cursor = moved
            return true
        } catch {
            // Read again from the stored cursor: the ids of the runs already started make the
            // events that are decided again come to nothing new.
            logger.error("cannot record trigger firings; their events will be read again", metadata: ["error": "\(error)"])
            loaded = false
            return false
        }
    }
}
