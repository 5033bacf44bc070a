@testable import ColonyConfig
import ColonyYAML
import Foundation
import Testing

/// agents.yaml environment values that say where a secret is, instead of holding it.
@Suite struct SecretEnvironmentTests {
    @Test func valuesComeFromTheEnvironmentOrAFileAndOthersStayAsTheyAre() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString.prefix(8))").path
        try "s3cr3t\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let resolved = try AgentsConfiguration.resolveSecrets(
            ["TOKEN": "${env:BILLING_TOKEN}", "KEY": "${file:\(path)}", "PLAIN": "hello", "ALMOST": "${nope}"],
            file: "agents.yaml", line: 7, processEnvironment: ["BILLING_TOKEN": "abc"]
        )
        #expect(resolved == ["TOKEN": "abc", "KEY": "s3cr3t", "PLAIN": "hello", "ALMOST": "${nope}"])
    }

    @Test func aMissingSecretIsAnErrorAtItsLine() {
        do {
            _ = try AgentsConfiguration.resolveSecrets(["TOKEN": "${env:NOT_SET_ANYWHERE}"], file: "agents.yaml", line: 7, processEnvironment: [:])
            Issue.record("a missing variable was accepted")
        } catch {
            #expect("\(error)".contains("agents.yaml:7") && "\(error)".contains("NOT_SET_ANYWHERE"), "\(error)")
        }
        #expect(throws: ConfigError.self) {
            try AgentsConfiguration.resolveSecrets(["KEY": "${file:/nonexistent/secret}"], file: "agents.yaml", line: 8, processEnvironment: [:])
        }
    }

    /// A value's file is read no further than 64 KiB: one that never ends (`/dev/zero`) is
    /// refused, where reading it whole would take the process's memory.
    @Test func aFileThatNeverEndsIsRefusedAfterItsBound() {
        do {
            _ = try AgentsConfiguration.resolveSecrets(["KEY": "${file:/dev/zero}"], file: "agents.yaml", line: 9, processEnvironment: [:])
            Issue.record("an endless file was accepted")
        } catch {
            #expect("\(error)".contains("agents.yaml:9") && "\(error)".contains("more than \(BoundedRead.smallFileLimit) bytes"), "\(error)")
        }
    }
}
