import ColonyStore

extension PostgresWorkflowStore: OrchestratorStore {
    public var location: String { "\(postgres)" }
}
