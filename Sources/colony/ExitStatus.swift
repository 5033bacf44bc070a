import ArgumentParser
import ColonyYAML
import Foundation

/// The exit codes of every `colony` command: one table, shown by `colony --help`, the README
/// and docs/CLI.md, and checked command by command by the tests.
enum ExitStatus {
    /// The command did what was asked.
    static let success: Int32 = 0
    /// It was carried out and the answer is no: an agent answered with an error, a run did not
    /// complete, or the thing asked for is refused in its current state (a run already ended).
    static let failed: Int32 = 1
    /// Bad usage: an unknown flag or name, a value out of range, an invalid configuration or
    /// workflow file. Nothing was sent.
    static let usage: Int32 = 2
    /// Nobody offers what was asked: no agent offers the capability (for the workflow, schedule,
    /// trigger and queue commands: no orchestrator runs).
    static let noAgent: Int32 = 3
    /// No answer in time.
    static let timeout: Int32 = 4
    /// The broker could not be reached (or refused this client's key).
    static let unreachable: Int32 = 5

    /// The table as `colony --help` prints it.
    static let table = """
        Exit codes (every command):
          0  success
          1  failed: an agent answered with an error, a run did not complete, or the request
             is refused in the current state (e.g. cancelling a run that already ended)
          2  bad usage: unknown flag or name, invalid value, invalid configuration or workflow
          3  nobody offers it: no agent offers the capability (no orchestrator, for workflow,
             schedule, trigger and queue commands)
          4  timed out
          5  broker unreachable
        """

    /// The exit code for an error a command ended with; argument-parser's own usage code (64)
    /// becomes 2, so a script sees one code for every kind of bad usage.
    static func code(for error: any Error) -> Int32 {
        switch error {
        case let exit as ExitCode: return exit == .validationFailure ? usage : exit.rawValue
        case is CLIError, is ConfigError: return usage
        default:
            let code = Colony.exitCode(for: error)
            return code == .validationFailure ? usage : code.rawValue
        }
    }
}

extension Colony {
    /// Runs the command line, exiting with the code of `ExitStatus`'s table.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = ExitStatus.code(for: error)
            if code == ExitStatus.success {
                let message = fullMessage(for: error)
                let arguments = Array(CommandLine.arguments.dropFirst())
                let askedForHelp = arguments.contains { ["-h", "--help", "help"].contains($0) }
                guard askedForHelp, !message.isEmpty else { exit(withError: error) }
                Console.line(helpWithExamples(message, arguments: arguments))
                Foundation.exit(ExitStatus.success)
            }
            let message: String
            switch error {
            case CLIError.configuration(let configuration), let configuration as ConfigError:
                Console.problems(configuration)
                message = ""
            case let known as CLIError: message = known.description
            default:
                // argument-parser writes "Error: …"; every message of the CLI starts "error: ".
                let full = fullMessage(for: error)
                message = full.hasPrefix("Error: ") ? "error: " + full.dropFirst("Error: ".count) : full
            }
            if !message.isEmpty { Console.error(message) }
            Foundation.exit(code)
        }
    }
}
