import CZeroMQ

/// A failed libzmq call, classified so callers can tell shutdown from real faults.
///
/// `EINTR` is retried inside the binding and `EAGAIN` surfaces as "nothing now"
/// (`nil` / `false` results), so neither appears here.
public enum ZMQError: Error, Equatable, CustomStringConvertible {
    /// The context is being terminated (`ETERM`): stop using the socket.
    case terminated
    /// A ROUTER with `ROUTER_MANDATORY` was asked to send to a peer it does not know.
    case hostUnreachable
    /// An endpoint string libzmq rejected (bad syntax, address in use, unknown protocol).
    case endpoint(String, operation: String, code: Int32)
    /// Any other error from the named operation, with its errno.
    case failed(operation: String, code: Int32)

    /// Classifies the current `zmq_errno()` for `operation`.
    static func current(_ operation: String) -> ZMQError {
        classify(zmq_errno(), operation: operation)
    }

    static func classify(_ code: Int32, operation: String) -> ZMQError {
        switch code {
        case ETERM: return .terminated
        case EHOSTUNREACH: return .hostUnreachable
        default: return .failed(operation: operation, code: code)
        }
    }

    public var description: String {
        switch self {
        case .terminated:
            return "ZeroMQ context terminated"
        case .hostUnreachable:
            return "peer unreachable (not connected to this ROUTER)"
        case .endpoint(let endpoint, let operation, let code):
            return "\(operation) \(endpoint): \(String(cString: zmq_strerror(code)))"
        case .failed(let operation, let code):
            return "\(operation): \(String(cString: zmq_strerror(code)))"
        }
    }
}
