import ArgumentParser

/// Refuses an option's value outside `range`, naming the option: every whole-number option
/// that configures a bound goes through here.
func requireOption(_ name: String, _ value: Int?, in range: ClosedRange<Int>) throws {
    guard let value, !range.contains(value) else { return }
    throw ValidationError("--\(name) must be from \(range.lowerBound) to \(range.upperBound), not \(value)")
}

/// The heartbeat intervals a broker or an agent accepts on the command line.
let heartbeatRange: ClosedRange<Duration> = .milliseconds(10) ... .seconds(3600)
