import ArgumentParser
import ColonyCore

/// A number of seconds typed on the command line (`--timeout 2.5`): a finite, non-negative
/// number up to `Duration.longest` (100 years). Anything else (`inf`, `nan`, `1e300`, `-1`)
/// is refused by the argument parser with the option's name, never converted into a trap.
struct Seconds: ExpressibleByArgument, ExpressibleByIntegerLiteral, Sendable, CustomStringConvertible {
    let duration: Duration
    private let text: String

    init?(argument: String) {
        guard let value = Double(argument), let duration = Duration(checkedSeconds: value) else { return nil }
        self.duration = duration
        text = argument
    }

    init(integerLiteral value: Int) {
        duration = .seconds(value)
        text = "\(value)"
    }

    var isZero: Bool { duration == .zero }
    var description: String { text }
    var defaultValueDescription: String { text }
    static var defaultCompletionKind: CompletionKind { .default }
}
