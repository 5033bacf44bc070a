import ColonyStore
import Logging
import NIOSSL
import PostgresNIO

extension PostgresLocation {
    /// How a client reaches this database: its Unix socket, or TCP with the URL's TLS mode.
    var clientConfiguration: PostgresClient.Configuration {
        guard let socketPath else {
            var configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database,
                                                             tls: .disable)
            switch tls {
            case .disable: configuration.tls = .disable
            case .prefer: configuration.tls = .prefer(.makeClientConfiguration())
            case .require: configuration.tls = .require(.makeClientConfiguration())
            }
            return configuration
        }
        return PostgresClient.Configuration(unixSocketPath: socketPath, username: user, password: password, database: database)
    }

    /// Creates database `name` on this server (as this location's user, who needs CREATEDB) and
    /// returns its location: for setting up a cluster, and for tests that want a database each.
    public func creatingDatabase(_ name: String, logger: Logger = Logger(label: "colony.postgres")) async throws(StoreError) -> PostgresLocation {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !name.isEmpty, name.utf8.count <= 63 else {
            throw .database("'\(name)' is not a database name Colony creates (letters, digits and '_', at most 63 bytes)")
        }
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: logger)
            }
        } catch {
            throw PostgresWorkflowStore.storeError(error)
        }
        var created = self
        created.database = name
        return created
    }
}
