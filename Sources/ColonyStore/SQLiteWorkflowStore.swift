import ColonyCore
import ColonyWorkflow
import Foundation
import GRDB
import Synchronization

/// The embedded store: one SQLite file in WAL mode, brought up to the current schema on open.
public final class SQLiteWorkflowStore: WorkflowStore {
    private let pool: DatabasePool
    /// The database file.
    public let path: String
    /// The lease every write is checked against, once one is set.
    private let currentFence = Mutex<LeaseFence?>(nil)
    /// Checkpoints the log off the engine's thread.
    private let checkpointer: WALCheckpointer
    /// The hot path's statements on the writer connection, found without hashing their SQL.
    private let hotStatements = HotStatementCache()

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String) throws(StoreError) {
        self.path = path
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            // WAL with synchronous=NORMAL: a commit survives the process being killed (-9
            // included); only a power loss can drop the last commits. One fsync per
            // checkpoint instead of one per transition is what keeps step overhead low, and the
            // checkpoints run on a connection of their own (WALCheckpointer).
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.backstopPages)")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            try Migrations.migrator.migrate(pool)
            checkpointer = try WALCheckpointer(path: path)
        } catch {
            throw .database("cannot open \(path): \(error)")
        }
    }

    deinit {
        // Before the pool closes its writer: a statement still held would keep it from closing.
        hotStatements.removeAll()
    }

    // MARK: Definitions

    public func register(_ definition: WorkflowDefinition) async throws(StoreError) -> StoredVersion {
        let name = definition.name
        let fingerprint = definition.fingerprint
        let source = definition.canonicalSource
        return try await write { db in
            let existing = try DefinitionRecord
                .filter(DefinitionRecord.Columns.name == name && DefinitionRecord.Columns.fingerprint == fingerprint)
                .fetchOne(db)
            if let existing, let id = existing.id { return StoredVersion(id: id, number: existing.version) }
            let latest = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM workflow_definitions WHERE name = ?", arguments: [name]) ?? 0
            var record = DefinitionRecord(id: nil, name: name, fingerprint: fingerprint, source: source, createdAt: Date(), version: latest + 1)
            try record.insert(db)
            return StoredVersion(id: record.id!, number: record.version)
        }
    }

    public func definition(id: Int64) async throws(StoreError) -> WorkflowDefinition {
        let record = try await read { db in try DefinitionRecord.fetchOne(db, key: id) }
        guard let record else { throw .definitionNotFound(id) }
        return try record.definition()
    }

    public func versions(of name: String, limit: Int) async throws(StoreError) -> [DefinitionRecord] {
        try await read { db in
            try DefinitionRecord.filter(DefinitionRecord.Columns.name == name).order(DefinitionRecord.Columns.id.desc).limit(limit).fetchAll(db)
        }
    }

    // MARK: Runs

    public func createRun(_ run: RunRecord, steps: [StepID], kept: [AttemptRecord]) async throws(StoreError) {
        do {
            let rows = NewRunRows(run: run, steps: steps, kept: kept)
            let statements = hotStatements
            try await write { db in
                try run.insert(db)
                for step in rows.steps { try Self.insert(step, updatedAt: step.updatedAt.databaseText, db, statements) }
                for attempt in rows.attempts { try attempt.insert(db) }
                for var transition in rows.transitions { try transition.insert(db) }
            }
        } catch .duplicateKey where run.scheduleID != nil {
            throw .duplicateScheduledRun(schedule: run.scheduleID!, at: run.scheduledAt ?? run.createdAt)
        }
    }

    nonisolated(nonsending) public func apply(_ changes: [StoreChange], at now: Date) async throws(StoreError) {
        guard !changes.isEmpty else { return }
        var changes = changes
        changes.foldDispatchRecords()
        let statements = hotStatements
        try writeOnThisThread { [changes] db in
            var log = TransitionLog()
            // By index: each change is read in place, where `for change in` would copy it
            // (an attempt record's strings retained and released once more each).
            for index in changes.indices {
                switch changes[index] {
                case .run(let transition): try Self.apply(transition, at: now, db, statements, log: &log)
                case .step(let transition): try Self.apply(transition, at: now, db, statements, log: &log)
                case .attemptDispatched(let run, let step, let attempt, let instance):
                    try Self.recordInstance(instance, run: run, step: step, attempt: attempt, db, statements)
                case .signal(let signal):
                    try signal.upsert(db)
                }
            }
            try log.write(db, statements)
        }
    }

    public func recordSkip(_ skip: SkipRecord) async throws(StoreError) {
        try await write { db in
            var record = skip
            try record.insert(db)
        }
    }

    public func skips(run: RunID) async throws(StoreError) -> [SkipRecord] {
        try await read { db in try SkipRecord.filter(SkipRecord.Columns.runID == run).order(SkipRecord.Columns.id).fetchAll(db) }
    }

    // MARK: Queries

    public func snapshot(run id: RunID) async throws(StoreError) -> RunSnapshot {
        let snapshot = try await read { db in try Self.snapshot(id, db) }
        guard let snapshot else { throw .runNotFound(id) }
        return snapshot
    }

    public func unfinishedRuns() async throws(StoreError) -> [RunSnapshot] {
        try await read { db in
            let ids = try RunID.fetchAll(db, RunRecord.select(RunRecord.Columns.id)
                .filter([RunStatus.pending, RunStatus.running, RunStatus.paused].contains(RunRecord.Columns.status))
                .order(RunRecord.Columns.priority.desc, RunRecord.Columns.createdAt))
            return try ids.compactMap { try Self.snapshot($0, db) }
        }
    }

    public func history(_ query: HistoryQuery) async throws(StoreError) -> [RunRecord] {
        try await read { db in
            var request = RunRecord.all()
            if let workflow = query.workflow { request = request.filter(RunRecord.Columns.workflow == workflow) }
            if let status = query.status { request = request.filter(RunRecord.Columns.status == status) }
            if let since = query.since { request = request.filter(RunRecord.Columns.createdAt >= since) }
            for (name, value) in query.tags.sorted(by: { $0.key < $1.key }) {
                // Names are checked (RunTags: letters, digits, '_', '-', '.'), so the JSON path is safe to quote.
                request = request.filter(sql: "json_extract(tags, ?) = ?", arguments: ["$.\"\(name)\"", value])
            }
            if let before = query.before {
                request = request.filter(RunRecord.Columns.createdAt < before.createdAt
                    || (RunRecord.Columns.createdAt == before.createdAt && RunRecord.Columns.id < before.id.rawValue))
            }
            return try request.order(RunRecord.Columns.createdAt.desc, RunRecord.Columns.id.desc).limit(query.limit).fetchAll(db)
        }
    }

    public func stoppedRuns(since: Date, limit: Int) async throws(StoreError) -> [RunRecord] {
        try await read { db in
            try RunRecord.filter([RunStatus.failed, RunStatus.cancelled].contains(RunRecord.Columns.status))
                .filter(RunRecord.Columns.finishedAt >= since)
                .order(RunRecord.Columns.finishedAt).limit(limit).fetchAll(db)
        }
    }

    public func retries(of run: RunID) async throws(StoreError) -> [RunRecord] {
        try await read { db in try RunRecord.filter(RunRecord.Columns.retryOf == run).order(RunRecord.Columns.createdAt).fetchAll(db) }
    }

    public func children(of run: RunID) async throws(StoreError) -> [RunRecord] {
        try await read { db in try RunRecord.filter(RunRecord.Columns.parentRunID == run).order(RunRecord.Columns.createdAt).fetchAll(db) }
    }

    public func statistics(workflow: String) async throws(StoreError) -> WorkflowStatistics {
        let runs = try await read { db in try RunRecord.filter(RunRecord.Columns.workflow == workflow).fetchAll(db) }
        return WorkflowStatistics(of: runs, workflow: workflow)
    }

    // MARK: Helpers

    private static func snapshot(_ id: RunID, _ db: Database) throws -> RunSnapshot? {
        guard let run = try RunRecord.fetchOne(db, key: id) else { return nil }
        return RunSnapshot(
            run: run,
            steps: try StepRecord.filter(StepRecord.Columns.runID == id).order(StepRecord.Columns.stepID).fetchAll(db),
            attempts: try AttemptRecord.filter(AttemptRecord.Columns.runID == id).order(AttemptRecord.Columns.startedAt, AttemptRecord.Columns.attempt).fetchAll(db),
            transitions: try TransitionRecord.filter(TransitionRecord.Columns.runID == id).order(TransitionRecord.Columns.sequence).fetchAll(db),
            signals: try SignalRecord.filter(SignalRecord.Columns.runID == id).order(SignalRecord.Columns.sentAt).fetchAll(db)
        )
    }

    public func fence(_ fence: LeaseFence) {
        currentFence.withLock { $0 = fence }
    }

    /// A write transaction that takes the write lock at once (BEGIN IMMEDIATE), so what it
    /// reads is what it writes over, even against other processes on the same file; fenced
    /// (see `fence(_:)`) unless it is the lease's own.
    func writeImmediately<T: Sendable>(fenced: Bool = true, _ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        let fence = fenced ? currentFence.withLock { $0 } : nil
        do {
            let statements = hotStatements
            return try await pool.writeWithoutTransaction { db in try Self.transaction(db, fence: fence, statements, body) }
        } catch {
            throw Self.refusal(error, fence: fence)
        }
    }

    /// The same fenced transaction, on the caller's thread: no hop to the writer's queue and
    /// back, for the engine's transitions (a commit takes ~0.1–0.2 ms; the engine has nothing
    /// else to do while its batch is written).
    func writeOnThisThread<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) throws(StoreError) -> T {
        let fence = currentFence.withLock { $0 }
        do {
            let statements = hotStatements
            let result = try pool.writeWithoutTransaction { db in try Self.transaction(db, fence: fence, statements, body) }
            checkpointer.committed()
            return result
        } catch {
            throw Self.refusal(error, fence: fence)
        }
    }

    /// BEGIN IMMEDIATE, the fence's check, `body`, COMMIT (or ROLLBACK on any error), stepped
    /// through SQLite's C API (HotStatement). The three short texts are GRDB's to cache
    /// (`HotStatementCache` passes texts of up to 15 bytes to it anyway).
    private static func transaction<T>(_ db: Database, fence: LeaseFence?, _ statements: HotStatementCache, _ body: (Database) throws -> T) throws -> T {
        try HotStatement("BEGIN IMMEDIATE", db).execute()
        do {
            if let fence { try check(fence, db, statements) }
            let result = try body(db)
            try HotStatement("COMMIT", db).execute()
            return result
        } catch {
            _ = try? HotStatement("ROLLBACK", db).execute()
            throw error
        }
    }

    /// The store error for a failed write; a refusal by the fence trips it.
    private static func refusal(_ error: any Error, fence: LeaseFence?) -> StoreError {
        let refusal = storeError(error)
        if case .superseded = refusal { fence?.trip() }
        return refusal
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        try await writeImmediately(body)
    }

    /// Throws `superseded` unless the fence's lease still has the fence's holder and term.
    private static func check(_ fence: LeaseFence, _ db: Database, _ statements: HotStatementCache) throws {
        // On every write of the active orchestrator, so through SQLite's C API (GRDB's row
        // fetch cost ~22,000 instructions a commit, 7% of a chain step's engine thread).
        let lease = try HotStatement("SELECT holder, term FROM leases WHERE name = ?", db, statements)
            .firstRow(.text(fence.lease)) { row in (holder: row.text(0), term: row.integer(1)) }
        let holder = lease?.holder, term = lease?.term
        guard holder == fence.holder, term == fence.term else {
            throw fence.refusal(holder: holder, term: term)
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// The store's error for what the database threw: constraint violations by SQLite's
    /// result code, the rest with the database's message.
    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError,
           error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            return .duplicateKey(error.message ?? "\(error)")
        }
        return .database("\(error)")
    }
}
