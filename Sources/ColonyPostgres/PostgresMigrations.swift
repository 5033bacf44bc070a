/// The PostgreSQL schema as numbered migrations, applied in order under an advisory lock (so
/// orchestrators starting together migrate once) and recorded in `colony_schema`. A migration
/// that ran is never changed: add a new one. Same tables, columns and constraints as the SQLite
/// store's migrations (their v1…v13), with PostgreSQL's types: JSON columns are JSONB, times
/// TIMESTAMPTZ. Column names are the records' camelCase keys, so they are quoted.
enum PostgresMigrations {
    static let all: [(version: Int, name: String, sql: [String])] = [
        (1, "the schema of SQLite store v12", [
            """
            CREATE TABLE workflow_definitions (
                "id" BIGSERIAL PRIMARY KEY, "name" TEXT NOT NULL, "fingerprint" TEXT NOT NULL, "source" TEXT NOT NULL,
                "createdAt" TIMESTAMPTZ NOT NULL, UNIQUE ("name", "fingerprint"))
            """,
            """
            CREATE TABLE runs (
                "id" TEXT PRIMARY KEY, "workflow" TEXT NOT NULL, "definitionID" BIGINT NOT NULL REFERENCES workflow_definitions,
                "status" TEXT NOT NULL, "input" JSONB NOT NULL, "output" JSONB, "errorCode" TEXT, "errorMessage" TEXT,
                "priority" BIGINT NOT NULL DEFAULT 0, "scheduleID" TEXT, "scheduledAt" TIMESTAMPTZ, "createdAt" TIMESTAMPTZ NOT NULL,
                "startedAt" TIMESTAMPTZ, "finishedAt" TIMESTAMPTZ, "parentRunID" TEXT, "parentStepID" TEXT, "retryOf" TEXT, "tags" JSONB,
                UNIQUE ("scheduleID", "scheduledAt"))
            """,
            #"CREATE INDEX runs_by_workflow ON runs ("workflow", "createdAt")"#,
            #"CREATE INDEX runs_by_status ON runs ("status")"#,
            #"CREATE INDEX runs_by_parent ON runs ("parentRunID")"#,
            #"CREATE INDEX runs_by_retried_run ON runs ("retryOf")"#,
            #"CREATE INDEX runs_by_created ON runs ("createdAt", "id")"#,
            """
            CREATE TABLE steps (
                "runID" TEXT NOT NULL REFERENCES runs ON DELETE CASCADE, "stepID" TEXT NOT NULL, "status" TEXT NOT NULL,
                "attempts" BIGINT NOT NULL, "output" JSONB, "errorCode" TEXT, "errorMessage" TEXT, "updatedAt" TIMESTAMPTZ NOT NULL,
                PRIMARY KEY ("runID", "stepID"))
            """,
            """
            CREATE TABLE step_attempts (
                "runID" TEXT NOT NULL REFERENCES runs ON DELETE CASCADE, "stepID" TEXT NOT NULL, "attempt" BIGINT NOT NULL,
                "idempotencyKey" TEXT NOT NULL UNIQUE, "agent" TEXT, "instance" TEXT, "input" JSONB NOT NULL, "output" JSONB,
                "status" TEXT NOT NULL, "errorCode" TEXT, "errorMessage" TEXT, "startedAt" TIMESTAMPTZ NOT NULL, "finishedAt" TIMESTAMPTZ,
                PRIMARY KEY ("runID", "stepID", "attempt"))
            """,
            """
            CREATE TABLE transitions (
                "sequence" BIGSERIAL PRIMARY KEY, "runID" TEXT NOT NULL REFERENCES runs ON DELETE CASCADE, "stepID" TEXT,
                "from" TEXT, "to" TEXT NOT NULL, "detail" TEXT, "at" TIMESTAMPTZ NOT NULL)
            """,
            #"CREATE INDEX transitions_by_run ON transitions ("runID", "sequence")"#,
            """
            CREATE TABLE skipped_handlers (
                "id" BIGSERIAL PRIMARY KEY, "runID" TEXT NOT NULL, "agent" TEXT NOT NULL, "handler" TEXT NOT NULL,
                "status" TEXT NOT NULL, "reason" TEXT NOT NULL, "at" TIMESTAMPTZ NOT NULL)
            """,
            #"CREATE INDEX skipped_by_run ON skipped_handlers ("runID")"#,
            """
            CREATE TABLE schedules (
                "name" TEXT PRIMARY KEY, "workflow" TEXT NOT NULL, "origin" TEXT NOT NULL, "source" TEXT,
                "paused" BOOLEAN NOT NULL DEFAULT FALSE, "pausedReason" TEXT, "lastTick" TIMESTAMPTZ,
                "consecutiveFailures" BIGINT NOT NULL DEFAULT 0, "createdAt" TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE schedule_ticks (
                "id" BIGSERIAL PRIMARY KEY, "schedule" TEXT NOT NULL, "scheduledAt" TIMESTAMPTZ NOT NULL, "outcome" TEXT NOT NULL,
                "reason" TEXT, "runID" TEXT, "decidedAt" TIMESTAMPTZ NOT NULL, "startedAt" TIMESTAMPTZ, UNIQUE ("schedule", "scheduledAt"))
            """,
            """
            CREATE TABLE leases ("name" TEXT PRIMARY KEY, "holder" TEXT NOT NULL, "term" BIGINT NOT NULL, "expiresAt" TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE leaderships (
                "group" TEXT PRIMARY KEY, "leader" TEXT, "term" BIGINT NOT NULL, "expiresAt" TIMESTAMPTZ NOT NULL, "updatedAt" TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE coordination_rounds (
                "id" TEXT PRIMARY KEY, "kind" TEXT NOT NULL, "group" TEXT NOT NULL, "state" TEXT NOT NULL, "decision" TEXT,
                "openedAt" TIMESTAMPTZ NOT NULL, "decidedAt" TIMESTAMPTZ, "announcedAt" TIMESTAMPTZ)
            """,
            #"CREATE INDEX rounds_by_group ON coordination_rounds ("group", "openedAt")"#,
            """
            CREATE TABLE signals (
                "id" TEXT PRIMARY KEY, "runID" TEXT NOT NULL REFERENCES runs ON DELETE CASCADE, "name" TEXT NOT NULL, "data" JSONB,
                "sentAt" TIMESTAMPTZ NOT NULL, "stepID" TEXT, "deliveredAt" TIMESTAMPTZ)
            """,
            #"CREATE INDEX signals_by_run ON signals ("runID", "sentAt")"#,
            """
            CREATE TABLE trigger_firings (
                "id" BIGSERIAL PRIMARY KEY, "workflow" TEXT NOT NULL, "topic" TEXT NOT NULL, "outcome" TEXT NOT NULL, "reason" TEXT,
                "dedupeKey" TEXT, "runID" TEXT, "at" TIMESTAMPTZ NOT NULL)
            """,
            #"CREATE INDEX firings_by_workflow ON trigger_firings ("workflow", "id")"#,
            #"CREATE TABLE trigger_cursor ("id" BIGINT PRIMARY KEY, "journal" TEXT NOT NULL, "seq" BIGINT NOT NULL)"#,
        ]),
        (2, "versions numbered per workflow (SQLite store v13)", [
            #"ALTER TABLE workflow_definitions ADD COLUMN "version" INTEGER NOT NULL DEFAULT 0"#,
            """
            UPDATE workflow_definitions AS d SET "version" = numbered.n FROM (
                SELECT "id", ROW_NUMBER() OVER (PARTITION BY "name" ORDER BY "id") AS n FROM workflow_definitions) AS numbered
            WHERE d."id" = numbered."id"
            """,
            #"CREATE UNIQUE INDEX definitions_by_name_and_version ON workflow_definitions ("name", "version")"#,
            #"ALTER TABLE runs ADD COLUMN "version" INTEGER"#,
            #"UPDATE runs SET "version" = d."version" FROM workflow_definitions AS d WHERE d."id" = runs."definitionID""#,
        ]),
    ]
}
