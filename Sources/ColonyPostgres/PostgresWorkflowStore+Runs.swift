import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import PostgresNIO

extension PostgresWorkflowStore: WorkflowStore {
    // MARK: Definitions

    public func register(_ definition: WorkflowDefinition) async throws(StoreError) -> StoredVersion {
        let name = definition.name, fingerprint = definition.fingerprint, source = definition.canonicalSource
        let lock = "colony.definitions." + name
        return try await transaction { connection in
            // Orchestrators storing new contents of one workflow at once take their numbers one
            // after the other: the lock lasts until this transaction ends, and each insert then
            // sees the numbers committed before it.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lock)))", logger: self.logger)
            let rows = try await connection.query(#"""
                INSERT INTO workflow_definitions ("name", "fingerprint", "source", "createdAt", "version")
                VALUES (\#(name), \#(fingerprint), \#(source), now(),
                        (SELECT COALESCE(MAX("version"), 0) + 1 FROM workflow_definitions WHERE "name" = \#(name)))
                ON CONFLICT ("name", "fingerprint") DO UPDATE SET "name" = EXCLUDED."name" RETURNING "id", "version"
                """#, logger: self.logger)
            for try await (id, number) in rows.decode((Int64, Int).self) { return StoredVersion(id: id, number: number) }
            throw StoreError.database("no id for workflow definition \(name)")
        }
    }

    public func definition(id: Int64) async throws(StoreError) -> WorkflowDefinition {
        let records = try await read { connection in
            try await Self.records(DefinitionRecord.self, #"SELECT * FROM workflow_definitions WHERE "id" = \#(id)"#, connection, logger: self.logger)
        }
        guard let record = records.first else { throw .definitionNotFound(id) }
        return try record.definition()
    }

    public func versions(of name: String, limit: Int) async throws(StoreError) -> [DefinitionRecord] {
        try await read { connection in
            try await Self.records(DefinitionRecord.self, #"SELECT * FROM workflow_definitions WHERE "name" = \#(name) ORDER BY "id" DESC LIMIT \#(Int64(limit))"#,
                                   connection, logger: self.logger)
        }
    }

    // MARK: Runs

    public func createRun(_ run: RunRecord, steps: [StepID], kept: [AttemptRecord]) async throws(StoreError) {
        do {
            let rows = NewRunRows(run: run, steps: steps, kept: kept)
            try await transaction { connection in
                try await Self.insert(run, into: "runs", connection, logger: self.logger)
                for step in rows.steps { try await Self.insert(step, into: "steps", connection, logger: self.logger) }
                for attempt in rows.attempts { try await Self.insert(attempt, into: "step_attempts", connection, logger: self.logger) }
                for transition in rows.transitions { try await Self.log(transition, connection, logger: self.logger) }
            }
        } catch .duplicateKey where run.scheduleID != nil {
            throw .duplicateScheduledRun(schedule: run.scheduleID!, at: run.scheduledAt ?? run.createdAt)
        }
    }

    nonisolated(nonsending) public func apply(_ changes: [StoreChange], at now: Date) async throws(StoreError) {
        guard !changes.isEmpty else { return }
        var changes = changes
        changes.foldDispatchRecords()
        try await transaction { [changes] connection in
            for change in changes {
                switch change {
                case .run(let transition): try await Self.apply(transition, at: now, connection, logger: self.logger)
                case .step(let transition): try await Self.apply(transition, at: now, connection, logger: self.logger)
                case .attemptDispatched(let run, let step, let attempt, let instance):
                    try await connection.query(#"""
                        UPDATE step_attempts SET "instance" = \#(instance.rawValue)
                        WHERE "runID" = \#(run.rawValue) AND "stepID" = \#(step.rawValue) AND "attempt" = \#(Int64(attempt))
                        """#, logger: self.logger)
                case .signal(let signal):
                    try await Self.upsert(signal, into: "signals", key: ["id"], connection, logger: self.logger)
                }
            }
        }
    }

    public func retries(of run: RunID) async throws(StoreError) -> [RunRecord] {
        try await read { connection in
            try await Self.records(RunRecord.self, #"SELECT * FROM runs WHERE "retryOf" = \#(run.rawValue) ORDER BY "createdAt""#, connection, logger: self.logger)
        }
    }

    public func recordSkip(_ skip: SkipRecord) async throws(StoreError) {
        try await transaction { connection in
            try await Self.insert(skip, into: "skipped_handlers", generated: "id", connection, logger: self.logger)
        }
    }

    public func skips(run: RunID) async throws(StoreError) -> [SkipRecord] {
        try await read { connection in
            try await Self.records(SkipRecord.self, #"SELECT * FROM skipped_handlers WHERE "runID" = \#(run.rawValue) ORDER BY "id""#, connection,
                                   logger: self.logger)
        }
    }

    // MARK: Queries

    public func snapshot(run id: RunID) async throws(StoreError) -> RunSnapshot {
        let snapshot = try await read { connection in try await Self.snapshot(id, connection, logger: self.logger) }
        guard let snapshot else { throw .runNotFound(id) }
        return snapshot
    }

    public func unfinishedRuns() async throws(StoreError) -> [RunSnapshot] {
        try await read { connection in
            var ids: [String] = []
            let rows = try await connection.query(#"""
                SELECT "id" FROM runs WHERE "status" IN ('pending', 'running', 'paused') ORDER BY "priority" DESC, "createdAt"
                """#, logger: self.logger)
            for try await id in rows.decode(String.self) { ids.append(id) }
            var snapshots: [RunSnapshot] = []
            for id in ids {
                if let snapshot = try await Self.snapshot(RunID(id), connection, logger: self.logger) { snapshots.append(snapshot) }
            }
            return snapshots
        }
    }

    public func history(_ query: HistoryQuery) async throws(StoreError) -> [RunRecord] {
        var sql = "SELECT * FROM runs WHERE TRUE"
        var bindings = PostgresBindings()
        func bind(_ value: some PostgresEncodable) -> String {
            try? bindings.append(value)
            return "$\(bindings.count)"
        }
        if let workflow = query.workflow { sql += #" AND "workflow" = \#(bind(workflow))"# }
        if let status = query.status { sql += #" AND "status" = \#(bind(status.rawValue))"# }
        if let since = query.since { sql += #" AND "createdAt" >= \#(bind(since))"# }
        for (name, value) in query.tags.sorted(by: { $0.key < $1.key }) {
            sql += #" AND "tags" ->> \#(bind(name)) = \#(bind(value))"#
        }
        if let before = query.before {
            let at = bind(before.createdAt), id = bind(before.id.rawValue)
            sql += #" AND ("createdAt" < \#(at) OR ("createdAt" = \#(at) AND "id" < \#(id)))"#
        }
        sql += #" ORDER BY "createdAt" DESC, "id" COLLATE "C" DESC LIMIT \#(bind(Int64(query.limit)))"#
        let statement = PostgresQuery(unsafeSQL: sql, binds: bindings)
        return try await read { connection in try await Self.records(RunRecord.self, statement, connection, logger: self.logger) }
    }

    public func stoppedRuns(since: Date, limit: Int) async throws(StoreError) -> [RunRecord] {
        try await read { connection in
            try await Self.records(RunRecord.self, #"""
                SELECT * FROM runs WHERE "status" IN ('failed', 'cancelled') AND "finishedAt" >= \#(since) ORDER BY "finishedAt" LIMIT \#(Int64(limit))
                """#, connection, logger: self.logger)
        }
    }

    public func children(of run: RunID) async throws(StoreError) -> [RunRecord] {
        try await read { connection in
            try await Self.records(RunRecord.self, #"SELECT * FROM runs WHERE "parentRunID" = \#(run.rawValue) ORDER BY "createdAt""#, connection,
                                   logger: self.logger)
        }
    }

    public func statistics(workflow: String) async throws(StoreError) -> WorkflowStatistics {
        let runs = try await read { connection in
            try await Self.records(RunRecord.self, #"SELECT * FROM runs WHERE "workflow" = \#(workflow)"#, connection, logger: self.logger)
        }
        return WorkflowStatistics(of: runs, workflow: workflow)
    }

    static func snapshot(_ id: RunID, _ connection: PostgresConnection, logger: Logger) async throws -> RunSnapshot? {
        guard let run = try await records(RunRecord.self, #"SELECT * FROM runs WHERE "id" = \#(id.rawValue)"#, connection, logger: logger).first else {
            return nil
        }
        return RunSnapshot(
            run: run,
            steps: try await rows(#"""
                SELECT \#(unescaped: StepRecord.postgresColumns) FROM steps WHERE "runID" = \#(id.rawValue) ORDER BY "stepID" COLLATE "C"
                """#, connection, logger: logger, as: { try StepRecord(stored: PostgresStoredRow(row: $0)) }),
            attempts: try await rows(#"""
                SELECT \#(unescaped: AttemptRecord.postgresColumns) FROM step_attempts WHERE "runID" = \#(id.rawValue)
                ORDER BY "startedAt", "attempt"
                """#, connection, logger: logger, as: { try AttemptRecord(stored: PostgresStoredRow(row: $0)) }),
            transitions: try await rows(#"""
                SELECT \#(unescaped: TransitionRecord.postgresColumns) FROM transitions WHERE "runID" = \#(id.rawValue) ORDER BY "sequence"
                """#, connection, logger: logger, as: { try TransitionRecord(stored: PostgresStoredRow(row: $0)) }),
            signals: try await records(SignalRecord.self, #"SELECT * FROM signals WHERE "runID" = \#(id.rawValue) ORDER BY "sentAt""#, connection,
                                       logger: logger)
        )
    }
}
