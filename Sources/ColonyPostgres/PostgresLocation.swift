import ColonyYAML
import Foundation

/// Where a PostgreSQL store lives, from `orchestrator.database: postgres://USER@HOST:PORT/DB`.
/// The password never comes from the URL (a YAML file is no place for it): it is read from
/// `COLONY_DATABASE_PASSWORD`, or the file `COLONY_DATABASE_PASSWORD_FILE` names, or `PGPASSWORD`.
/// `?sslmode=disable|prefer|require` (default: `disable` on loopback, `require` elsewhere);
/// `postgres://USER@/DATABASE?host=/run/postgresql` connects through the server's Unix socket
/// in that directory (port 5432 unless the URL says otherwise).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    /// The server's socket directory, when it is reached through a Unix socket.
    public var socketDirectory: String?
    public var user: String
    public var database: String
    public var password: String?
    public var tls: TLSMode

    /// Whether `text` names a PostgreSQL database (else it is a SQLite file path).
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses the URL; the error says what is wrong with it.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresLocationError) {
        guard Self.isURL(text), let components = URLComponents(string: text) else {
            throw PostgresLocationError("'\(text)' is not a postgres://USER@HOST:PORT/DATABASE URL")
        }
        guard components.password == nil else {
            throw PostgresLocationError("the database URL holds a password: put it in COLONY_DATABASE_PASSWORD (or a file named by COLONY_DATABASE_PASSWORD_FILE) instead")
        }
        socketDirectory = components.queryItems?.first { $0.name == "host" }?.value.flatMap { $0.hasPrefix("/") ? $0 : nil }
        let host = components.host ?? ""
        guard !host.isEmpty || socketDirectory != nil else {
            throw PostgresLocationError("the database URL '\(text)' names no host (postgres://USER@HOST/DATABASE, or ?host=/socket/directory)")
        }
        guard let user = components.user, !user.isEmpty else { throw PostgresLocationError("the database URL '\(text)' names no user (postgres://USER@HOST/DATABASE)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw PostgresLocationError("the database URL '\(text)' names no database (postgres://USER@HOST/DATABASE)") }
        self.host = host
        self.port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw PostgresLocationError("port \(port) in '\(text)' is not 1…65535") }
        self.user = user.removingPercentEncoding ?? user
        self.database = database
        let loopback = socketDirectory != nil || ["localhost", "127.0.0.1", "::1"].contains(host)
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value
        if let mode {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw PostgresLocationError("sslmode '\(mode)' in the database URL is not disable, prefer or require")
            }
            tls = parsed
        } else {
            tls = loopback ? .disable : .require
        }
        if let password = environment["COLONY_DATABASE_PASSWORD"] {
            self.password = password
        } else if let file = environment["COLONY_DATABASE_PASSWORD_FILE"] {
            do {
                password = try BoundedRead.text(of: file, what: "database password file \(file) (COLONY_DATABASE_PASSWORD_FILE)")
                    .trimmingCharacters(in: .newlines)
            } catch {
                throw PostgresLocationError(error.message)
            }
        } else {
            password = environment["PGPASSWORD"]
        }
    }

    /// The server's socket, when reached through one.
    public var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    /// The URL without its password (for logs, and to hand to another process, which reads
    /// the password from its own environment).
    public var description: String {
        socketDirectory.map { "postgres://\(user)@/\(database)?host=\($0)" } ?? "postgres://\(user)@\(host):\(port)/\(database)"
    }
}

/// Why a database URL cannot be used.
public struct PostgresLocationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
