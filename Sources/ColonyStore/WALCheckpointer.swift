import GRDB
import Synchronization

/// Copies the write-ahead log into the database file every `interval` engine commits, on a
/// connection and thread of its own: the fsync a checkpoint needs then never stalls the engine,
/// which writes on its own thread (SQLite would otherwise checkpoint inside whichever commit
/// crossed its threshold). Passive: it never waits for, nor blocks, a writer. SQLite's own
/// checkpoint stays as the bound should this one fall behind: at `backstopPages` of log.
final class WALCheckpointer: Sendable {
    /// Engine commits between two checkpoints (a chain step is ~6–8 pages of log).
    static let interval = 64
    /// SQLite checkpoints by itself past this many pages of log (~40 MB at 4 KiB pages).
    static let backstopPages = 10_000

    private let connection: DatabaseQueue
    private let commits = Atomic<Int>(0)
    private let running = Atomic<Bool>(false)

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Counts a commit; every `interval`th starts a checkpoint unless one still runs.
    func committed() {
        guard commits.add(1, ordering: .relaxed).newValue % Self.interval == 0,
              running.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        connection.asyncWriteWithoutTransaction { db in
            // A failure (the file busy past the timeout) leaves the log to the next one.
            _ = try? db.checkpoint(.passive)
            self.running.store(false, ordering: .releasing)
        }
    }
}
