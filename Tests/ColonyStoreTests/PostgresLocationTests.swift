import ColonyPostgres
import Testing

/// Database URLs: what is refused, by name, and what the defaults are.
@Suite struct PostgresLocationTests {
    @Test func aPasswordInTheURLIsRefusedAndComesFromTheEnvironmentInstead() throws {
        #expect(throws: PostgresLocationError.self) { try PostgresLocation("postgres://colony:secret@db/colony", environment: [:]) }
        let location = try PostgresLocation("postgres://colony@db.internal:6543/colony", environment: ["COLONY_DATABASE_PASSWORD": "s3"])
        #expect(location.password == "s3" && location.port == 6543 && location.tls == .require, "TLS is required off loopback")
        #expect("\(location)" == "postgres://colony@db.internal:6543/colony", "no password in what is logged")
        #expect(try PostgresLocation("postgres://colony@localhost/colony", environment: ["PGPASSWORD": "p"]).tls == .disable)
    }

    /// The password file is read no further than 64 KiB: one that never ends is refused by name.
    @Test func aPasswordFileThatNeverEndsIsRefused() {
        do {
            _ = try PostgresLocation("postgres://colony@db/colony", environment: ["COLONY_DATABASE_PASSWORD_FILE": "/dev/zero"])
            Issue.record("an endless password file was accepted")
        } catch {
            #expect("\(error)".contains("COLONY_DATABASE_PASSWORD_FILE") && "\(error)".contains("more than 65536 bytes"), "\(error)")
        }
    }

    @Test func socketsAndBadURLs() throws {
        let socket = try PostgresLocation("postgres://colony@/colony?host=/run/postgresql", environment: [:])
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432")
        for bad in ["/var/db.sqlite", "postgres://db/colony", "postgres://colony@db", "postgres://colony@db/c?sslmode=always",
                    "postgres://colony@/colony"] {
            #expect(throws: PostgresLocationError.self, "\(bad)") { try PostgresLocation(bad, environment: [:]) }
        }
    }
}
