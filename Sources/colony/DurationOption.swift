import ArgumentParser
import ColonyCore
import ColonyYAML

/// A span of time typed on the command line with its unit, as in the YAML files: `30s`,
/// `500ms`, `2m`, `1h`, `1d`. A bare number is refused with a hint (`200` could mean seconds or
/// milliseconds), as is anything negative, not finite or over 100 years: never a trap.
struct DurationOption: Sendable, CustomStringConvertible {
    let duration: Duration
    let description: String

    /// For defaults: `.seconds(30)` shows as `30s`.
    static func seconds(_ value: Int) -> DurationOption { DurationOption(duration: .seconds(value), description: "\(value)s") }

    /// For defaults: `.milliseconds(500)` shows as `500ms`.
    static func milliseconds(_ value: Int) -> DurationOption { DurationOption(duration: .milliseconds(value), description: "\(value)ms") }

    /// The `transform` of every duration option: the parser's error names the option and says
    /// what a duration looks like.
    static func parse(_ text: String) throws -> DurationOption {
        guard let duration = parseDuration(text) else { throw ValidationError("'\(text)' \(durationProblem(text))") }
        return DurationOption(duration: duration, description: text)
    }

    var isZero: Bool { duration == .zero }

    /// Refuses a duration outside `range`, naming the option.
    func require(_ option: String, in range: ClosedRange<Duration>) throws {
        guard !range.contains(duration) else { return }
        throw ValidationError("--\(option) must be from \(range.lowerBound.readable) to \(range.upperBound.readable), not \(description)")
    }
}

/// A duration option and the hidden whole-milliseconds flag it replaced (`--heartbeat` and
/// `--heartbeat-ms`, kept for scripts): at most one of them, within `range`.
func chosenDuration(_ option: String, _ value: DurationOption?, milliseconds: Int?, in range: ClosedRange<Duration>) throws -> Duration? {
    switch (value, milliseconds) {
    case (.some, .some):
        throw ValidationError("give --\(option) or --\(option)-ms, not both")
    case (.some(let value), nil):
        try value.require(option, in: range)
        return value.duration
    case (nil, .some(let milliseconds)):
        let duration = Duration.milliseconds(milliseconds)
        guard range.contains(duration) else {
            throw ValidationError("--\(option)-ms must be from \(range.lowerBound.readable) to \(range.upperBound.readable) in milliseconds, not \(milliseconds)")
        }
        return duration
    case (nil, nil):
        return nil
    }
}
