/// Tolerances the test targets share, so a loaded machine meets one bound everywhere.
extension Duration {
    /// How long a test waits for an answer or a state it expects (a broker's statistics, a
    /// worker's request, a run's record): a bound for a failing test on a loaded machine, not a
    /// speed the test asserts.
    public static let generous = Duration.seconds(60)
}

/// Polls `condition` every 10 ms until it holds (true) or `Duration.generous` passes (false).
public func until(_ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .generous
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return false
}
