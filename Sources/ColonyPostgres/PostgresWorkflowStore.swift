import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The store on PostgreSQL, for orchestrators on several hosts: the same protocols, tables and
/// guarantees as `SQLiteWorkflowStore` — compare-and-set transitions, one transaction per batch,
/// the unique (schedule, tick) and child-run identities — with the lease's expiry taken from the
/// database's clock and every write of the active orchestrator fenced by its term in the same
/// transaction (`FOR SHARE` on the lease row, so a takeover waits for a write in progress and
/// every later write of the old term is refused).
public final class PostgresWorkflowStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>
    private let currentFence = Mutex<LeaseFence?>(nil)
    /// Where it is (no password in it).
    public let postgres: PostgresLocation

    /// Connects to the database (a pool of up to `connections`) and brings its schema up to date.
    public init(_ location: PostgresLocation, connections: Int = 8, logger: Logger) async throws(StoreError) {
        var configuration = location.clientConfiguration
        // A transaction left open by a client that lost its link (it may hold the lease row FOR
        // SHARE) is ended by the server once its keepalives go unanswered (~5 s), and one left
        // open by a client that stalled (SIGSTOP) after `idleTransactionLimit`, so a takeover is
        // held up by neither for long.
        configuration.options.additionalStartupParameters = [
            ("idle_in_transaction_session_timeout", "\(Self.idleTransactionLimit.components.seconds * 1000)"),
            ("tcp_keepalives_idle", "2"), ("tcp_keepalives_interval", "1"), ("tcp_keepalives_count", "3"),
        ]
        configuration.options.maximumConnections = max(1, connections)
        configuration.options.minimumConnections = 0
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        postgres = location
        running = Task { await client.run() }
        do {
            try await migrateWithin(Self.startTimeout)
        } catch {
            running.cancel()
            throw error
        }
    }

    /// How long the server lets a transaction wait for its client before ending the session: far
    /// beyond any pause of a live client under load (the pool does not recover a connection the
    /// server ends inside a transaction gracefully), short enough that a stalled orchestrator
    /// holding the lease row delays a takeover by at most this.
    static let idleTransactionLimit: Duration = .seconds(30)

    /// How long opening waits for the database before it gives up (the pool would retry forever).
    static let startTimeout: Duration = .seconds(20)

    private func migrateWithin(_ timeout: Duration) async throws(StoreError) {
        let outcome: Result<Bool, StoreError> = await withTaskGroup(of: Result<Bool, StoreError>.self) { group in
            group.addTask {
                do throws(StoreError) {
                    try await self.migrate()
                    return .success(true)
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .success(false)
            }
            defer { group.cancelAll() }
            return await group.next() ?? .success(false)
        }
        switch outcome {
        case .success(true): return
        case .success(false): throw .database("cannot reach \(postgres) within \(timeout) (is the server up, and the URL right?)")
        case .failure(let error): throw error
        }
    }

    deinit { running.cancel() }

    /// Closes the pool: queries after this fail.
    public func close() { running.cancel() }

    private func migrate() async throws(StoreError) {
        try await transaction(fenced: false) { connection in
            // One migrator at a time, across hosts; the lock ends with the transaction.
            try await connection.query("SELECT pg_advisory_xact_lock(7406135)", logger: self.logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS colony_schema ("version" BIGINT PRIMARY KEY, "name" TEXT NOT NULL, "appliedAt" TIMESTAMPTZ NOT NULL)
                """, logger: self.logger)
            var applied = Set<Int64>()
            for try await version in try await connection.query(#"SELECT "version" FROM colony_schema"#, logger: self.logger).decode(Int64.self) {
                applied.insert(version)
            }
            for migration in PostgresMigrations.all where !applied.contains(Int64(migration.version)) {
                for statement in migration.sql { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger) }
                let version = Int64(migration.version), name = migration.name
                try await connection.query(#"INSERT INTO colony_schema ("version", "name", "appliedAt") VALUES (\#(version), \#(name), now())"#,
                                           logger: self.logger)
            }
        }
    }

    // MARK: Transactions

    /// Runs `body` in one transaction, checking the fence first (see `fence(_:)`) unless told not
    /// to; database errors become `StoreError`s (a unique violation is `duplicateKey`).
    @discardableResult
    func transaction<T: Sendable>(fenced: Bool = true, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        let fence = fenced ? currentFence.withLock { $0 } : nil
        do {
            return try await client.withTransaction(logger: logger) { connection in
                if let fence { try await self.check(fence, connection) }
                return try await body(connection)
            }
        } catch {
            let refusal = Self.storeError(error)
            if case .superseded = refusal { fence?.trip() }
            throw refusal
        }
    }

    /// A read outside a transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw Self.storeError(error)
        }
    }

    private func check(_ fence: LeaseFence, _ connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            #"SELECT "holder", "term" FROM leases WHERE "name" = \#(fence.lease) FOR SHARE"#, logger: logger)
        var current: (String, Int64)?
        for try await row in rows.decode((String, Int64).self) { current = row }
        guard current?.0 == fence.holder, current?.1 == fence.term else {
            throw StoreError.superseded(lease: fence.lease, term: fence.term, by: current.map { "\($0.0) (term \($0.1))" })
        }
    }

    public func fence(_ fence: LeaseFence) {
        currentFence.withLock { $0 = fence }
    }

    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError { return storeError(inner) }
            if let inner = error.beginError ?? error.commitError { return storeError(inner) }
        }
        if let error = error as? PSQLError {
            if error.serverInfo?[.sqlState] == "23505" {
                return .duplicateKey(error.serverInfo?[.message] ?? "unique violation")
            }
            if let message = error.serverInfo?[.message] { return .database(message) }
            return .database("\(error.code)")
        }
        return .database("\(error)")
    }

    // MARK: Rows

    /// The rows of `query` as records.
    static func records<Record: Decodable>(_ type: Record.Type, _ query: PostgresQuery, _ connection: PostgresConnection,
                                          logger: Logger) async throws -> [Record] {
        try await rows(query, connection, logger: logger) { try RecordDecoder.decode(Record.self, from: $0) }
    }

    /// The rows of `query`, each read by `read` (by column index, for a run's snapshot).
    static func rows<Record>(_ query: PostgresQuery, _ connection: PostgresConnection, logger: Logger,
                             as read: (PostgresRandomAccessRow) throws -> Record) async throws -> [Record] {
        var records: [Record] = []
        for try await row in try await connection.query(query, logger: logger) {
            records.append(try read(row.makeRandomAccess()))
        }
        return records
    }

    /// Inserts a record into `table`; `generated` columns (serial ids) are left to the database
    /// when the record has none. Returns the generated id, if asked for one.
    @discardableResult
    static func insert<Record: Encodable>(_ record: Record, into table: String, generated: String? = nil, onConflict: String = "",
                                          _ connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        var columns = try RecordColumns(record)
        if let generated, let index = columns.names.firstIndex(of: generated), case .null = columns.values[index] {
            columns = columns.without([generated])
        }
        let returning = generated.map { #" RETURNING "\#($0)""# } ?? ""
        let sql = "INSERT INTO \(table) (\(columns.quotedNames)) VALUES (\(columns.placeholders))\(onConflict)\(returning)"
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: try columns.bindings()), logger: logger)
        guard generated != nil else { return nil }
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }

    /// Inserts or replaces (by `key`) a record.
    static func upsert<Record: Encodable>(_ record: Record, into table: String, key: [String], _ connection: PostgresConnection,
                                          logger: Logger) async throws {
        let columns = try RecordColumns(record)
        let updates = columns.names.filter { !key.contains($0) }.map { #""\#($0)" = EXCLUDED."\#($0)""# }.joined(separator: ", ")
        let conflict = " ON CONFLICT (" + key.map { "\"\($0)\"" }.joined(separator: ", ") + ") DO UPDATE SET " + updates
        try await insert(record, into: table, onConflict: conflict, connection, logger: logger)
    }
}
