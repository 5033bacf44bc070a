import Foundation
import GRDB
import GRDBSQLite
import Testing
import ColonyCore
import ColonyWorkflow

@testable import ColonyStore

/// The engine's hot path binds dates as text it formats itself: that text must be exactly what
/// GRDB stores for the same date, or reads and comparisons would see two formats.
@Suite struct DatabaseTextTests {
    @Test func datesAreStoredAsGRDBStoresThem() {
        var generator = SystemRandomNumberGenerator()
        let samples = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_795_000_000.999_9),
                       Date(timeIntervalSince1970: 951_782_400.5)]  // 2000-02-29
            + (0..<2000).map { _ in Date(timeIntervalSince1970: Double.random(in: 0...4_102_444_800, using: &generator)) }
        for date in samples {
            #expect(date.databaseText.databaseValue == date.databaseValue, "\(date.timeIntervalSince1970)")
        }
    }
}

/// Every dispatch builds its attempt's key by copying bytes: it must be the `RUN/STEP/ATTEMPT`
/// an interpolation makes, whatever the ids hold and however large the attempt.
@Suite struct IdempotencyKeyTests {
    @Test func theKeyIsRunStepAndAttemptJoinedBySlashes() {
        let long = String(repeating: "x", count: 5000)
        let cases: [(RunID, StepID, Int)] = [
            ("r", "s", 1), ("run-é", "stép/2", 12), (RunID(long), StepID(long), Int.max), ("", "", 0), ("a", "b", -7),
            ("🐝-run", "步骤", 1_000_000),
        ]
        for (run, step, attempt) in cases {
            #expect(AttemptRecord.idempotencyKey(run: run, step: step, attempt: attempt) == "\(run.rawValue)/\(step.rawValue)/\(attempt)")
        }
    }
}

/// The engine's writes leave the log's checkpoints to a connection of their own: the database
/// file takes in what the log holds without any write waiting for it.
@Suite struct WALCheckpointerTests {
    @Test func theLogReachesTheDatabaseFileWhileTheEngineWrites() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-wal-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        let store = try SQLiteWorkflowStore(path: path)
        var parser = WorkflowParser()
        let workflow = parser.parse("name: many\nsteps:\n  - {id: one, capability: echo}\n", file: "many.yaml")[0]
        let definitionID = try await store.register(workflow).id
        let fileSize = { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let before = fileSize()
        for index in 0..<(WALCheckpointer.interval * 2) {
            let run = RunID("run-\(index)")
            try await store.createRun(RunRecord(id: run, workflow: "many", definitionID: definitionID, input: .object([:])), steps: ["one"])
            try await store.apply([.run(RunTransition(run: run, from: .pending, to: .running))], at: Date())
        }
        var grown = false
        for _ in 0..<500 where !grown {
            grown = fileSize() > before
            if !grown { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(grown, "\(before) bytes before, \(fileSize()) after \(WALCheckpointer.interval * 2) commits")
    }
}

/// v14 rebuilds the step tables without rowid: a database written before it keeps every row.
@Suite struct StepTablesMigrationTests {
    @Test func aVersion13DatabaseKeepsItsStepsAndAttempts() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-v14-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(queue, upTo: "v13: versions numbered per workflow")
            try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO workflow_definitions (id, name, fingerprint, source, createdAt, version) VALUES (1, 'old', 'f', 'name: old', '2026-11-01 00:00:00.000', 1);
                    INSERT INTO runs (id, workflow, definitionID, status, input, createdAt, version)
                        VALUES ('run-1', 'old', 1, 'running', '{}', '2026-11-01 00:00:00.000', 1);
                    INSERT INTO steps (runID, stepID, status, attempts, output, updatedAt)
                        VALUES ('run-1', 'a', 'succeeded', 1, '{"n":1}', '2026-11-01 00:00:01.000'),
                               ('run-1', 'b', 'dispatched', 2, NULL, '2026-11-01 00:00:02.000');
                    INSERT INTO step_attempts (runID, stepID, attempt, idempotencyKey, agent, input, output, status, startedAt, finishedAt, instance)
                        VALUES ('run-1', 'a', 1, 'run-1/a/1', 'math', '{}', '{"n":1}', 'succeeded', '2026-11-01 00:00:00.500', '2026-11-01 00:00:01.000', NULL),
                               ('run-1', 'b', 1, 'run-1/b/1', 'math', '{}', NULL, 'failed', '2026-11-01 00:00:01.000', '2026-11-01 00:00:01.500', NULL),
                               ('run-1', 'b', 2, 'run-1/b/2', NULL, '{}', NULL, 'running', '2026-11-01 00:00:02.000', NULL, 'i-7');
                    INSERT INTO transitions (runID, stepID, "from", "to", at) VALUES
                        ('run-1', NULL, NULL, 'pending', '2026-11-01 00:00:00.000'), ('run-1', 'a', 'pending', 'succeeded', '2026-11-01 00:00:01.000');
                    """)
            }
        }
        let store = try SQLiteWorkflowStore(path: path)
        let snapshot = try await store.snapshot(run: RunID("run-1"))
        #expect(snapshot.steps.map(\.stepID.rawValue) == ["a", "b"])
        #expect(snapshot.steps.map(\.status) == [.succeeded, .dispatched])
        #expect(snapshot.attempts.map { "\($0.stepID)/\($0.attempt)" } == ["a/1", "b/1", "b/2"])
        #expect(snapshot.attempts.last?.instance == "i-7")
        #expect(snapshot.attempts.first?.output == .object(["n": .number(1)]))
        #expect(snapshot.transitions.map(\.sequence) == [1, 2])
        try await store.apply([.run(RunTransition(run: RunID("run-1"), from: .running, to: .completed))], at: Date())
        #expect(try await store.snapshot(run: RunID("run-1")).transitions.map(\.sequence) == [1, 2, 3])
        let schema = try await DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%' ORDER BY name")
                + String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name = 'transitions' AND sql LIKE '%AUTOINCREMENT%'")
        }
        #expect(schema == ["step_attempts", "steps"])
    }
}

/// HotStatement binds a string's own UTF-8: every text comes back as it went in, the empty
/// string as '' (not NULL), text with NUL bytes and non-ASCII whole.
@Suite struct HotStatementTests {
    @Test func textComesBackAsItWentIn() throws {
        let queue = try DatabaseQueue()
        let samples = ["", "a", "héllo ✓ 😀", "nul\u{0}inside", String(repeating: "long text ", count: 200)]
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, value TEXT)")
            for (index, sample) in samples.enumerated() {
                try HotStatement("INSERT INTO t (n, value) VALUES (?, ?)", db).execute(.integer(Int64(index)), .text(sample))
            }
            try HotStatement("INSERT INTO t (n, value) VALUES (?, ?)", db).execute(.integer(99), .text(nil))
        }
        try queue.read { db in
            for (index, sample) in samples.enumerated() {
                let stored = try Row.fetchOne(db, sql: "SELECT value, value IS NULL AS missing, length(CAST(value AS BLOB)) AS size FROM t WHERE n = ?",
                                              arguments: [index])!
                #expect(stored["missing"] == false, "\(index)")
                #expect(stored["size"] == sample.utf8.count, "\(index)")
                #expect(String.fromDatabaseValue(stored["value"]) == sample || sample.contains("\u{0}"), "\(index)")
            }
            #expect(try Bool.fetchOne(db, sql: "SELECT value IS NULL FROM t WHERE n = 99") == true)
        }
    }

    /// Texts are bound in place while the statement runs: many in one statement (small ones held
    /// inline by String, long ones, empty ones, between integers and NULLs) all land whole, past
    /// the nesting bound too, and no binding is left behind to point into a string that is gone.
    @Test func manyTextsInOneStatementLandWholeAndLeaveNoBinding() throws {
        let queue = try DatabaseQueue()
        let columns = HotStatement.nestedTextsAtMost * 2
        let names = (0..<columns).map { "c\($0)" }
        let sql = "INSERT INTO t (\(names.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns).joined(separator: ", ")))"
        let texts = (0..<columns).map { index in
            switch index % 4 {
            case 0: "s\(index)"
            case 1: String(repeating: "long \(index) ", count: 40)
            case 2: ""
            default: "ünïcode \(index) ✓"
            }
        }
        let values: [HotStatement.Value] = texts.enumerated().map { index, text in index % 7 == 3 ? .integer(Int64(index)) : index % 11 == 5 ? .null : .text(text) }
        let expanded = try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (\(names.joined(separator: ", ")))")
            try HotStatement(sql, db).execute(values)
            let handle = try db.cachedStatement(sql: sql).sqliteStatement
            return sqlite3_expanded_sql(handle).map { pointer in defer { sqlite3_free(pointer) }; return String(cString: pointer) }
        }
        let row = try queue.read { db in try Row.fetchOne(db, sql: "SELECT * FROM t")! }
        for (index, value) in values.enumerated() {
            switch value {
            case .text(let text): #expect(row[index] as String? == text, "column \(index)")
            case .integer(let number): #expect(row[index] as Int64? == number, "column \(index)")
            case .null: #expect(row.hasNull(atIndex: index), "column \(index)")
            }
        }
        #expect(values.filter { if case .text = $0 { true } else { false } }.count > HotStatement.nestedTextsAtMost)
        #expect(expanded == sql.replacingOccurrences(of: "?", with: "NULL"))
    }

    /// A query's first row is read by column, NULLs as nil; a query with no row gives nil.
    @Test func firstRowReadsTextsIntegersAndNulls() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT, term INTEGER)")
            try db.execute(sql: "INSERT INTO leases VALUES ('orchestrator', 'host-a ✓', 7), ('empty', NULL, NULL)")
            let query = "SELECT holder, term FROM leases WHERE name = ?"
            let read = { (name: String) in
                try HotStatement(query, db).firstRow(.text(name)) { row in (holder: row.text(0), term: row.integer(1)) }
            }
            let held = try read("orchestrator"), empty = try read("empty"), missing = try read("nobody")
            #expect(held?.holder == "host-a ✓" && held?.term == 7)
            #expect(empty != nil && empty?.holder == nil && empty?.term == nil)
            #expect(missing == nil)
        }
    }

    /// Each run binds every parameter (a run with fewer or more values is refused), and NULL
    /// replaces a text.
    @Test func everyRunBindsEveryParameter() throws {
        let queue = try DatabaseQueue()
        let refused = try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, value TEXT)")
            let insert = "INSERT INTO t (n, value) VALUES (?, ?)"
            try HotStatement(insert, db).execute(.integer(1), .text("first"))
            var refused = 0
            for values: [HotStatement.Value] in [[.integer(2)], [.integer(3), .text("x"), .text("y")]] {
                do { try HotStatement(insert, db).execute(values) } catch let error as DatabaseError where error.resultCode == .SQLITE_RANGE { refused += 1 }
            }
            try HotStatement(insert, db).execute(.integer(4), .null)
            return refused
        }
        #expect(refused == 2)
        let (rows, lastIsNull) = try queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM t"), try Bool.fetchOne(db, sql: "SELECT value IS NULL FROM t WHERE n = 4"))
        }
        #expect(rows == 2 && lastIsNull == true)
    }
}

/// The store finds its hot statements by where their text lives; the address is only a hint,
/// so another text at a remembered address, or another connection, never gets a statement
/// that is not its own.
@Suite struct HotStatementCacheTests {
    private let insertA = "INSERT INTO t (n, value) VALUES (?, 'the first long statement')"
    private let insertB = "INSERT INTO t (n, value) VALUES (?, 'the second long statement')"

    @Test func aRememberedStatementIsGRDBsOwnAndAnotherTextAtItsAddressGetsItsOwn() throws {
        let queue = try DatabaseQueue()
        let cache = HotStatementCache()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, value TEXT)")
            let first = try cache.handle(for: insertA, at: 42, on: db)
            #expect(first == (try db.cachedStatement(sql: insertA).sqliteStatement))
            #expect(try cache.handle(for: insertA, at: 42, on: db) == first)
            // Another text found at the same address: its own statement, not the remembered one.
            let second = try cache.handle(for: insertB, at: 42, on: db)
            #expect(second != first)
            #expect(second == (try db.cachedStatement(sql: insertB).sqliteStatement))
            // Short texts skip the cache and still run.
            try HotStatement("SELECT 1", db, cache).execute()
            try HotStatement(insertA, db, cache).execute(.integer(1))
            try HotStatement(insertB, db, cache).execute(.integer(2))
        }
        let values = try queue.read { db in try String.fetchAll(db, sql: "SELECT value FROM t ORDER BY n") }
        #expect(values == ["the first long statement", "the second long statement"])
    }

    @Test func anotherConnectionNeverGetsTheFirstOnesStatement() throws {
        let cache = HotStatementCache()
        let (one, two) = (try DatabaseQueue(), try DatabaseQueue())
        for queue in [one, two] { try queue.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, value TEXT)") } }
        let first = try one.write { db in try cache.handle(for: insertA, at: 7, on: db) }
        let (second, own) = try two.write { db in (try cache.handle(for: insertA, at: 7, on: db), try db.cachedStatement(sql: insertA).sqliteStatement) }
        #expect(second != first)
        #expect(second == own)
        cache.removeAll()
    }

    @Test func pastItsCapacityTextsAreStillServedAndNoMoreAreRemembered() throws {
        let queue = try DatabaseQueue()
        let cache = HotStatementCache()
        let texts = (0..<(HotStatementCache.capacity + 36)).map { "INSERT INTO t (n, value) VALUES (?, 'statement number \($0)')" }
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, value TEXT)")
            for (key, text) in texts.enumerated() {
                #expect(try cache.handle(for: text, at: key + 1, on: db) == (try db.cachedStatement(sql: text).sqliteStatement))
                try HotStatement(text, db, cache).execute(.integer(Int64(key)))
            }
        }
        #expect(cache.count == HotStatementCache.capacity)
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == texts.count)
        cache.removeAll()
        #expect(cache.count == 0)
    }
}

/// A snapshot reads its rows by column index; a stored value it cannot read back fails the read
/// with the column and the value named, as Codable's decoding did, instead of being guessed.
@Suite struct SnapshotRowTests {
    /// The columns each record reads by index are its table's, in the table's order: a request
    /// and a `SELECT *` both give `init(row:)` what it expects.
    @Test func eachRecordReadsItsTablesColumnsInTheirOrder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-rows-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("store.sqlite").path
        _ = try SQLiteWorkflowStore(path: path)
        let tables: [(String, [any SQLSelectable])] = [
            (StepRecord.databaseTableName, StepRecord.databaseSelection),
            (AttemptRecord.databaseTableName, AttemptRecord.databaseSelection),
            (TransitionRecord.databaseTableName, TransitionRecord.databaseSelection),
        ]
        let queue = try DatabaseQueue(path: path)
        for (table, selection) in tables {
            let columns = try queue.read { db in try db.columns(in: table).map(\.name) }
            #expect(selection.map { ($0 as? Column)?.name } == columns, "\(table)")
        }
    }

    @Test func aValueThisVersionCannotReadIsRefusedByName() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-rows-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("store.sqlite").path
        let store = try SQLiteWorkflowStore(path: path)
        try await seedOneDispatchedStep(in: store)
        #expect(try await store.snapshot(run: "run-1").steps.map(\.status) == [.dispatched])

        let other = try DatabaseQueue(path: path)
        for (sql, named) in [("UPDATE steps SET status = 'exploded'", "'status' holds 'exploded'"),
                             ("UPDATE step_attempts SET input = '{broken'", "'input' holds '{broken'")] {
            try await other.write { db in try db.execute(sql: "SAVEPOINT tampering; \(sql); RELEASE tampering") }
            await #expect(performing: { try await store.snapshot(run: "run-1") }, throws: { "\($0)".contains(named) })
            try await other.write { db in
                try db.execute(sql: "UPDATE steps SET status = 'dispatched'; UPDATE step_attempts SET input = '{}'")
            }
        }
        #expect(try await store.snapshot(run: "run-1").attempts.map(\.input) == [.object([:])])
    }
}
