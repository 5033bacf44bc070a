import ColonyPostgres
import Foundation
import Testing

/// The databases an orchestrator of a test can use: a SQLite file always, PostgreSQL when
/// `COLONY_TEST_POSTGRES` names a server (`scripts/test` starts a throwaway one).
enum DatabaseKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var available: [DatabaseKind] {
        ProcessInfo.processInfo.environment["COLONY_TEST_POSTGRES"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// The `orchestrator.database` setting: a file in `directory`, or a new database of its own.
    func setting(in directory: URL) async throws -> String {
        switch self {
        case .sqlite:
            return directory.appendingPathComponent("colony.sqlite").path
        case .postgres:
            let server = try PostgresLocation(ProcessInfo.processInfo.environment["COLONY_TEST_POSTGRES"] ?? "")
            let name = "colony_it_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_")
            return try await server.creatingDatabase(name).description
        }
    }
}
