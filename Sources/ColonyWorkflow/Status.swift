/// Where a run is in its life.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case pending, running, completed, failed, cancelled
    /// Paused by a person (`colony workflow pause`): nothing new is dispatched until it is resumed.
    case paused

    /// Whether nothing more happens to the run.
    public var isFinal: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// Where a step of a run is.
public enum StepStatus: String, Sendable, Codable, CaseIterable {
    case pending, ready, dispatched, succeeded, failed, skipped, cancelled, retrying
    /// Waits for a signal sent to its run (`wait_for`).
    case waiting
    /// Its instances run (`for_each`); it ends when they have.
    case running

    /// Whether the step will not run again in this run.
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .skipped || self == .cancelled }
}
