import ColonyCore
import ColonyWire

/// Why a request did not produce a result. Each case means something different to the
/// caller, and the CLI maps them to distinct exit codes.
public enum RequestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No agent offers the capability (the broker's queue for it expired).
    case noAgent(capability: String, message: String)
    /// No answer within the timeout (the agent was slow, or everyone was busy).
    case timedOut(capability: String, message: String)
    /// The broker could not be reached at all.
    case brokerUnreachable(endpoint: String)
    /// The agent (or the broker) answered with an error.
    case failed(WireError)
    /// The input could not be encoded.
    case invalidInput(String)
    /// The reply could not be decoded as the expected type.
    case invalidReply(String)
    /// The request was cancelled by its caller.
    case cancelled

    public var description: String {
        switch self {
        case .noAgent(_, let message): return message
        case .timedOut(_, let message): return "timed out: \(message)"
        case .brokerUnreachable(let endpoint): return "broker unreachable at \(endpoint)"
        case .failed(let error): return "\(error.code): \(error.message)"
        case .invalidInput(let message): return "invalid input: \(message)"
        case .invalidReply(let message): return "invalid reply: \(message)"
        case .cancelled: return "request cancelled"
        }
    }

    /// The error a wire error stands for, from the point of view of a caller of `capability`.
    init(_ error: WireError, capability: String) {
        switch error.code {
        case .noAgent: self = .noAgent(capability: capability, message: error.message)
        case .timeout: self = .timedOut(capability: capability, message: error.message)
        default: self = .failed(error)
        }
    }
}
