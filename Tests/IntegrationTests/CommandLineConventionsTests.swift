import Foundation
import Testing

/// The conventions every `colony` command keeps (docs/CLI.md), checked command by command
/// against the executable's own description of its commands, so a new command is covered the
/// day it is added.
@Suite struct CommandLineConventionsTests {
    /// A leaf command: its words after `colony`, and what it takes.
    struct Command: CustomStringConvertible {
        var words: [String]
        var positionals: Int
        var requiredOptions: [String]
        var options: Set<String>
        var description: String { "colony " + words.joined(separator: " ") }
    }

    /// Commands that run until stopped (servers, streams) are not run against a missing broker.
    static let longRunning: Set<String> = ["up", "broker", "orchestrator", "agent run"]

    /// Arguments a command needs beyond placeholders before it reaches the broker.
    static let extra: [String: [String]] = ["schedule add": ["--every", "30s"], "workflow validate": ["--live"]]

    /// Values for required options that take one of a few words.
    static let placeholderValues = ["role": "agent"]

    static func commands(_ harness: ProcessHarness) async throws -> [Command] {
        let dump = try await harness.runTool(ProcessHarness.colonyBinary.path, ["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.output.utf8)) as? [String: Any])
        var found: [Command] = []
        func walk(_ node: [String: Any], _ words: [String]) {
            let subcommands = (node["subcommands"] as? [[String: Any]] ?? []).filter { $0["commandName"] as? String != "help" }
            guard subcommands.isEmpty else {
                for sub in subcommands { walk(sub, words + [sub["commandName"] as? String ?? "?"]) }
                return
            }
            let arguments = node["arguments"] as? [[String: Any]] ?? []
            let named = arguments.filter { $0["kind"] as? String != "positional" }.compactMap { ($0["preferredName"] as? [String: Any])?["name"] as? String }
            let required = arguments.filter { $0["kind"] as? String == "option" && $0["isOptional"] as? Bool == false }
                .compactMap { ($0["preferredName"] as? [String: Any])?["name"] as? String }
            found.append(Command(words: words, positionals: arguments.filter { $0["kind"] as? String == "positional" && $0["isOptional"] as? Bool == false }.count,
                                 requiredOptions: required, options: Set(named)))
        }
        walk(try #require(root["command"] as? [String: Any]), [])
        return found
    }

    /// Placeholder arguments that get `command` past parsing.
    static func filled(_ command: Command) -> [String] {
        command.words + Array(repeating: "placeholder", count: command.positionals)
            + command.requiredOptions.flatMap { ["--\($0)", placeholderValues[$0] ?? "placeholder"] } + (extra[command.words.joined(separator: " ")] ?? [])
    }

    @Test func everyCommandsHelpEndsWithExamplesOfItself() async throws {
        let harness = try await ProcessHarness()
        defer { harness.stopAll() }
        let commands = try await Self.commands(harness)
        #expect(commands.count > 40, "\(commands)")
        for command in commands {
            let help = try await harness.runTool(ProcessHarness.colonyBinary.path, command.words + ["--help"])
            #expect(help.status == 0, "\(command): \(help.output)")
            let examples = help.output.components(separatedBy: "\nEXAMPLES:\n").last ?? ""
            #expect(help.output.contains("\nEXAMPLES:\n") && examples.contains("colony " + command.words.joined(separator: " ")),
                    "\(command) --help ends with examples of itself: \(help.output)")
            #expect(!help.output.contains("--publish-endpoint") || command.options.contains("publish-endpoint") && ["publish", "watch", "up", "broker", "orchestrator", "agent run"].contains(command.words.joined(separator: " ")),
                    "\(command) shows event endpoints only if it publishes or subscribes")
        }
    }

    @Test func everyCommandExitsTwoOnAnUnknownFlagAndNamesIt() async throws {
        let harness = try await ProcessHarness()
        defer { harness.stopAll() }
        for command in try await Self.commands(harness) {
            let result = try await harness.runTool(ProcessHarness.colonyBinary.path, Self.filled(command) + ["--no-such-flag"])
            #expect(result.status == 2 && result.output.contains("'--no-such-flag'"), "\(command): \(result.status) \(result.output)")
        }
    }

    @Test func everyCommandThatReadsTheConfigurationExitsTwoNamingAMissingFile() async throws {
        let harness = try await ProcessHarness()
        defer { harness.stopAll() }
        let missing = harness.directory.appendingPathComponent("nowhere/colony.yaml").path
        for command in try await Self.commands(harness) where command.options.contains("config") {
            let result = try await harness.runTool(ProcessHarness.colonyBinary.path, Self.filled(command) + ["--config", missing])
            #expect(result.status == 2 && result.output.contains(missing), "\(command): \(result.status) \(result.output)")
        }
    }

    @Test func everyCommandThatTalksToTheBrokerExitsFiveWhenItIsNotThere() async throws {
        let harness = try await ProcessHarness()
        defer { harness.stopAll() }
        let nobody = harness.privateEndpoints("nobody").requests
        let clients = try await Self.commands(harness).filter {
            $0.options.contains("endpoint") && !Self.longRunning.contains($0.words.joined(separator: " "))
        }
        #expect(clients.count > 30)
        // Each waits out its connect deadline: a few at a time (all at once would load the
        // machine the other tests share).
        for batch in stride(from: 0, to: clients.count, by: 6).map({ Array(clients[$0..<min($0 + 6, clients.count)]) }) {
            let processes = try batch.map { command in
                (command, try harness.colony(Self.filled(command) + ["--endpoint", nobody], name: command.words.joined(separator: "-")))
            }
            for (command, process) in processes {
                let ended = await harness.waitForExit(process, timeout: .seconds(60))
                #expect(ended, "\(command) ends")
                guard ended else { continue }
                let output = harness.log(of: command.words.joined(separator: "-"))
                let status = ProcessHarness.exitCode(ofEnded: process)
                #expect(status == 5 && output.contains("unreachable"), "\(command): \(status) \(output)")
            }
        }
    }
}
