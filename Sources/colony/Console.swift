import ColonyYAML
import Foundation

/// Unbuffered writes to standard output and error, so pipes see each line at once; colour
/// only on a terminal, never with `NO_COLOR` set or `TERM=dumb` (https://no-color.org).
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// A message on standard error; a leading `error:` is red on a terminal.
    static func error(_ text: String) {
        var shown = text
        if errorIsColored, text.hasPrefix("error:") { shown = Paint.red.wrap("error:") + text.dropFirst("error:".count) }
        FileHandle.standardError.write(Data((shown + "\n").utf8))
    }

    /// Every problem of a file, one `error: ` line each.
    static func problems(_ error: ConfigError) {
        for problem in error.all { Console.error("error: \(problem)") }
    }

    /// Whether standard output gets colour.
    static let outputIsColored = colors(STDOUT_FILENO)
    /// Whether standard error gets colour.
    static let errorIsColored = colors(STDERR_FILENO)

    private static func colors(_ descriptor: Int32) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return isatty(descriptor) == 1
    }
}

/// The few colours the CLI uses, each for one meaning (docs/CLI.md).
enum Paint: String {
    /// Done and fine: completed, succeeded, ok, running agents.
    case green = "32"
    /// Failed, timed out, unreachable; the `error:` of a message.
    case red = "31"
    /// Waiting for something: pending, paused, waiting, retrying, queued.
    case yellow = "33"
    /// Under way: running, dispatched.
    case cyan = "36"
    /// Over without a result: cancelled, skipped.
    case dim = "2"
    /// Table headers.
    case bold = "1"

    func wrap(_ text: some StringProtocol) -> String { "\u{1B}[\(rawValue)m\(text)\u{1B}[0m" }

    /// The colour of a status word in a table, if it is one.
    static func forStatus(_ word: String) -> Paint? {
        switch word {
        case "completed", "succeeded", "ok", "started", "healthy", "idle": return .green
        case "failed", "timed_out", "timeout", "unreachable", "refused", "crashed": return .red
        case "pending", "paused", "waiting", "retrying", "queued", "buffered", "skipped_overlap", "stopping", "restarting": return .yellow
        case "running", "dispatched", "ready", "busy", "working": return .cyan
        case "cancelled", "skipped", "stopped", "filtered", "duplicate": return .dim
        default: return nil
        }
    }
}
