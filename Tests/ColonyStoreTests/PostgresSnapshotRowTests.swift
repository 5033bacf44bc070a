import ColonyStore
import ColonyWorkflow
import Foundation
import PostgresNIO
import Testing

@testable import ColonyPostgres

/// PostgreSQL's snapshot reads its rows by column index too: every column of each table is read,
/// and a stored value it cannot read back, or a column of a type it does not expect, fails the
/// read with the column named.
@Suite(.enabled(if: StoreKind.available.contains(.postgres)))
struct PostgresSnapshotRowTests {
    /// Each record's snapshot query selects every column its table has: a column added later
    /// without its reader fails here, not silently in a snapshot.
    @Test func eachRecordSelectsEveryColumnOfItsTable() async throws {
        let store = try await PostgresWorkflowStore(try await StoreKind.freshDatabase(), logger: StoreKind.logger)
        defer { store.close() }
        let selections = [("steps", StepRecord.storedColumns), ("step_attempts", AttemptRecord.storedColumns),
                          ("transitions", TransitionRecord.storedColumns)]
        for (table, selection) in selections {
            let columns = try await store.read { connection in
                var names: [String] = []
                let rows = try await connection.query("SELECT column_name FROM information_schema.columns WHERE table_name = \(table)",
                                                      logger: StoreKind.logger)
                for try await name in rows.decode(String.self) { names.append(name) }
                return names
            }
            #expect(Set(selection) == Set(columns) && selection.count == columns.count, "\(table)")
        }
    }

    @Test func aValueThisVersionCannotReadIsRefusedByName() async throws {
        let store = try await PostgresWorkflowStore(try await StoreKind.freshDatabase(), logger: StoreKind.logger)
        defer { store.close() }
        try await seedOneDispatchedStep(in: store)
        #expect(try await store.snapshot(run: "run-1").steps.map(\.status) == [.dispatched])

        for (sql, named): (PostgresQuery, String) in [(#"UPDATE steps SET "status" = 'exploded'"#, "'status' holds 'exploded'"),
                                                      (#"UPDATE step_attempts SET "status" = 'gone'"#, "'status' holds 'gone'")] {
            try await store.read { connection in _ = try await connection.query(sql, logger: StoreKind.logger) }
            await #expect(performing: { try await store.snapshot(run: "run-1") }, throws: { "\($0)".contains(named) })
            try await store.read { connection in
                _ = try await connection.query(#"UPDATE steps SET "status" = 'dispatched'"#, logger: StoreKind.logger)
                _ = try await connection.query(#"UPDATE step_attempts SET "status" = 'dispatched'"#, logger: StoreKind.logger)
            }
        }
        #expect(try await store.snapshot(run: "run-1").attempts.map(\.input) == [.object([:])])

        // A column of another type than this version reads (a schema it does not know).
        try await store.read { connection in
            _ = try await connection.query(#"ALTER TABLE steps ALTER COLUMN "attempts" TYPE TEXT"#, logger: StoreKind.logger)
        }
        await #expect(performing: { try await store.snapshot(run: "run-1") },
                      throws: { "\($0)".contains("the column 'attempts' (TEXT) cannot be read as Int64") })
    }
}
