import ColonyCore
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation

/// What the engine knows about one step of a run.
struct StepState: Sendable, Hashable {
    var status: StepStatus
    /// The latest attempt's number (0 before the first dispatch).
    var attempt: Int = 0
    /// The latest attempt's input, re-sent as is when a dispatch is repeated after a restart.
    var input: JSONValue?
    var output: JSONValue?
    var error: StepError?
    /// When the first attempt started (the step's overall timeout counts from here).
    var firstStartedAt: Date?
    /// When the latest attempt started.
    var attemptStartedAt: Date?
    /// When the latest attempt ended (a retry's delay counts from here).
    var lastFinishedAt: Date?
    /// The agent instance the latest attempt went to, as recorded (re-sends go back to it).
    var instance: InstanceID?

    init(status: StepStatus) {
        self.status = status
    }
}

/// A step's (or run's) error: a machine-readable code and a message.
public struct StepError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// Why a run is failing: the step that failed it and the error, and the handlers still owed.
struct RunFailure: Sendable, Hashable {
    /// The failed step, or nil when the run itself timed out.
    var step: StepID?
    var error: StepError
    /// The compensation handler of the failed step, if it has one.
    var compensation: StepID?

    /// The `${failure…}` value handlers see.
    var value: JSONValue {
        .object([
            "step": step.map { .string($0.rawValue) } ?? .null,
            "error": .object(["code": .string(error.code.rawValue), "message": .string(error.message)]),
        ])
    }
}
