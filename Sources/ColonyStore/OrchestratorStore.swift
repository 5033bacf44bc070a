/// Everything an orchestrator keeps, in one database: runs, schedules and the lease,
/// coordination, trigger firings. SQLite (`SQLiteWorkflowStore`) and PostgreSQL
/// (`PostgresWorkflowStore`, module ColonyPostgres) implement it.
public protocol OrchestratorStore: WorkflowStore, ScheduleStore, CoordinationStore, TriggerStore {
    /// Where it is, for people: a file path or a URL without its password.
    var location: String { get }
}

extension SQLiteWorkflowStore: OrchestratorStore {
    public var location: String { path }
}
