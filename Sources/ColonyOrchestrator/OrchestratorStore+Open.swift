import ColonyPostgres
import ColonyStore
import Logging

/// Opens the store `orchestrator.database` names: a `postgres://` URL is a PostgreSQL database
/// (its password from the environment), anything else a SQLite file.
public enum OrchestratorStores {
    public static func open(_ database: String, logger: Logger) async throws(StoreError) -> any OrchestratorStore {
        guard PostgresLocation.isURL(database) else { return try SQLiteWorkflowStore(path: database) }
        let location: PostgresLocation
        do {
            location = try PostgresLocation(database)
        } catch {
            throw .database("\(error)")
        }
        return try await PostgresWorkflowStore(location, logger: logger)
    }
}
