import ColonyCore
import GRDB

/// The schema, as numbered migrations: a database file is always brought up to date on open,
/// and a migration that ran is never changed (add a new one instead).
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: definitions, runs, steps, attempts, transitions") { db in
            try db.create(table: "workflow_definitions") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("name", .text).notNull()
                table.column("fingerprint", .text).notNull()
                table.column("source", .text).notNull()
                table.column("createdAt", .datetime).notNull()
                table.uniqueKey(["name", "fingerprint"])
            }
            try db.create(table: "runs") { table in
                table.primaryKey("id", .text)
                table.column("workflow", .text).notNull()
                table.column("definitionID", .integer).notNull().references("workflow_definitions")
                table.column("status", .text).notNull()
                table.column("input", .text).notNull()
                table.column("output", .text)
                table.column("errorCode", .text)
                table.column("errorMessage", .text)
                table.column("priority", .integer).notNull().defaults(to: 0)
                table.column("scheduleID", .text)
                table.column("scheduledAt", .datetime)
                table.column("createdAt", .datetime).notNull()
                table.column("startedAt", .datetime)
                table.column("finishedAt", .datetime)
                // A schedule's tick starts at most one run, across restarts and schedulers.
                table.uniqueKey(["scheduleID", "scheduledAt"])
            }
            try db.create(index: "runs_by_workflow", on: "runs", columns: ["workflow", "createdAt"])
            try db.create(index: "runs_by_status", on: "runs", columns: ["status"])
            try db.create(table: "steps") { table in
                table.column("runID", .text).notNull().references("runs", onDelete: .cascade)
                table.column("stepID", .text).notNull()
                table.column("status", .text).notNull()
                table.column("attempts", .integer).notNull()
                table.column("output", .text)
                table.column("errorCode", .text)
                table.column("errorMessage", .text)
                table.column("updatedAt", .datetime).notNull()
                table.primaryKey(["runID", "stepID"])
            }
            try db.create(table: "step_attempts") { table in
                table.column("runID", .text).notNull().references("runs", onDelete: .cascade)
                table.column("stepID", .text).notNull()
                table.column("attempt", .integer).notNull()
                table.column("idempotencyKey", .text).notNull().unique()
                table.column("agent", .text)
                table.column("input", .text).notNull()
                table.column("output", .text)
                table.column("status", .text).notNull()
                table.column("errorCode", .text)
                table.column("errorMessage", .text)
                table.column("startedAt", .datetime).notNull()
                table.column("finishedAt", .datetime)
                table.primaryKey(["runID", "stepID", "attempt"])
            }
            try db.create(table: "transitions") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("runID", .text).notNull().references("runs", onDelete: .cascade)
                table.column("stepID", .text)
                table.column("from", .text)
                table.column("to", .text).notNull()
                table.column("detail", .text)
                table.column("at", .datetime).notNull()
            }
            try db.create(index: "transitions_by_run", on: "transitions", columns: ["runID", "sequence"])
        }
        migrator.registerMigration("v2: handlers skipped by agents' failure gates") { db in
            try db.create(table: "skipped_handlers") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("runID", .text).notNull()
                table.column("agent", .text).notNull()
                table.column("handler", .text).notNull()
                table.column("status", .text).notNull()
                table.column("reason", .text).notNull()
                table.column("at", .datetime).notNull()
            }
            try db.create(index: "skipped_by_run", on: "skipped_handlers", columns: ["runID"])
        }
        migrator.registerMigration("v3: schedules, ticks, leases") { db in
            try db.create(table: "schedules") { table in
                table.primaryKey("name", .text)
                table.column("workflow", .text).notNull()
                table.column("origin", .text).notNull()
                table.column("source", .text)
                table.column("paused", .boolean).notNull().defaults(to: false)
                table.column("pausedReason", .text)
                table.column("lastTick", .datetime)
                table.column("consecutiveFailures", .integer).notNull().defaults(to: 0)
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "schedule_ticks") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("schedule", .text).notNull()
                table.column("scheduledAt", .datetime).notNull()
                table.column("outcome", .text).notNull()
                table.column("reason", .text)
                table.column("runID", .text)
                table.column("decidedAt", .datetime).notNull()
                table.column("startedAt", .datetime)
                table.uniqueKey(["schedule", "scheduledAt"])
            }
            try db.create(table: "leases") { table in
                table.primaryKey("name", .text)
                table.column("holder", .text).notNull()
                table.column("term", .integer).notNull()
                table.column("expiresAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v4: leaderships") { db in
            try db.create(table: "leaderships") { table in
                table.primaryKey("group", .text)
                table.column("leader", .text)
                table.column("term", .integer).notNull()
                table.column("expiresAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v5: coordination rounds") { db in
            try db.create(table: "coordination_rounds") { table in
                table.primaryKey("id", .text)
                table.column("kind", .text).notNull()
                table.column("group", .text).notNull()
                table.column("state", .text).notNull()
                table.column("decision", .text)
                table.column("openedAt", .datetime).notNull()
                table.column("decidedAt", .datetime)
                table.column("announcedAt", .datetime)
            }
            try db.create(index: "rounds_by_group", on: "coordination_rounds", columns: ["group", "openedAt"])
        }
        migrator.registerMigration("v6: child runs") { db in
            try db.alter(table: "runs") { table in
                table.add(column: "parentRunID", .text)
                table.add(column: "parentStepID", .text)
            }
            try db.create(index: "runs_by_parent", on: "runs", columns: ["parentRunID"])
        }
        migrator.registerMigration("v7: the instance each attempt went to") { db in
            try db.alter(table: "step_attempts") { table in
                table.add(column: "instance", .text)
            }
        }
        migrator.registerMigration("v8: signals sent to runs") { db in
            try db.create(table: "signals") { table in
                table.primaryKey("id", .text)
                table.column("runID", .text).notNull().references("runs", onDelete: .cascade)
                table.column("name", .text).notNull()
                table.column("data", .text)
                table.column("sentAt", .datetime).notNull()
                table.column("stepID", .text)
                table.column("deliveredAt", .datetime)
            }
            try db.create(index: "signals_by_run", on: "signals", columns: ["runID", "sentAt"])
        }
        migrator.registerMigration("v9: retries") { db in
            try db.alter(table: "runs") { table in
                table.add(column: "retryOf", .text)
            }
            try db.create(index: "runs_by_retried_run", on: "runs", columns: ["retryOf"])
        }
        migrator.registerMigration("v10: run tags") { db in
            try db.alter(table: "runs") { table in
                table.add(column: "tags", .text)
            }
        }
        migrator.registerMigration("v11: trigger firings") { db in
            try db.create(table: "trigger_firings") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("workflow", .text).notNull()
                table.column("topic", .text).notNull()
                table.column("outcome", .text).notNull()
                table.column("reason", .text)
                table.column("dedupeKey", .text)
                table.column("runID", .text)
                table.column("at", .datetime).notNull()
            }
            try db.create(index: "firings_by_workflow", on: "trigger_firings", columns: ["workflow", "id"])
        }
        migrator.registerMigration("v12: the triggers' place in the broker's event journal") { db in
            try db.create(table: "trigger_cursor") { table in
                table.primaryKey("id", .integer)
                table.column("journal", .text).notNull()
                table.column("seq", .integer).notNull()
            }
        }
        migrator.registerMigration("v13: versions numbered per workflow") { db in
            try db.alter(table: "workflow_definitions") { table in
                table.add(column: "version", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: """
                UPDATE workflow_definitions SET version = (
                    SELECT COUNT(*) FROM workflow_definitions AS earlier
                    WHERE earlier.name = workflow_definitions.name AND earlier.id <= workflow_definitions.id)
                """)
            try db.create(index: "definitions_by_name_and_version", on: "workflow_definitions", columns: ["name", "version"], unique: true)
            try db.alter(table: "runs") { table in
                table.add(column: "version", .integer)
            }
            try db.execute(sql: "UPDATE runs SET version = (SELECT version FROM workflow_definitions WHERE id = runs.definitionID)")
        }
        // Every step transition writes a row of each: keyed by their primary key alone, a commit
        // dirties one B-tree per table instead of two (three for attempts, whose idempotency key
        // had an index of its own although it is made of that key); transitions number their rows
        // without AUTOINCREMENT's extra table (rows are never deleted, so numbers still only grow).
        migrator.registerMigration("v14: step tables without rowid or sequence table") { db in
            try db.execute(sql: """
                CREATE TABLE steps_v14 (
                    runID TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    stepID TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    output TEXT,
                    errorCode TEXT,
                    errorMessage TEXT,
                    updatedAt DATETIME NOT NULL,
                    PRIMARY KEY (runID, stepID)
                ) WITHOUT ROWID;
                INSERT INTO steps_v14 SELECT runID, stepID, status, attempts, output, errorCode, errorMessage, updatedAt FROM steps;
                DROP TABLE steps;
                ALTER TABLE steps_v14 RENAME TO steps;
                CREATE TABLE step_attempts_v14 (
                    runID TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    stepID TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    idempotencyKey TEXT NOT NULL,
                    agent TEXT,
                    input TEXT NOT NULL,
                    output TEXT,
                    status TEXT NOT NULL,
                    errorCode TEXT,
                    errorMessage TEXT,
                    startedAt DATETIME NOT NULL,
                    finishedAt DATETIME,
                    instance TEXT,
                    PRIMARY KEY (runID, stepID, attempt)
                ) WITHOUT ROWID;
                INSERT INTO step_attempts_v14
                    SELECT runID, stepID, attempt, idempotencyKey, agent, input, output, status, errorCode, errorMessage, startedAt, finishedAt, instance
                    FROM step_attempts;
                DROP TABLE step_attempts;
                ALTER TABLE step_attempts_v14 RENAME TO step_attempts;
                CREATE TABLE transitions_v14 (
                    sequence INTEGER PRIMARY KEY,
                    runID TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    stepID TEXT,
                    "from" TEXT,
                    "to" TEXT NOT NULL,
                    detail TEXT,
                    at DATETIME NOT NULL
                );
                INSERT INTO transitions_v14 SELECT sequence, runID, stepID, "from", "to", detail, at FROM transitions;
                DROP TABLE transitions;
                ALTER TABLE transitions_v14 RENAME TO transitions;
                CREATE INDEX transitions_by_run ON transitions (runID, sequence);
                DELETE FROM sqlite_sequence WHERE name = 'transitions';
                """)
        }
        return migrator
    }
}
