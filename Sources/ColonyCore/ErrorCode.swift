/// A machine-readable error code carried in replies; open-ended so codes from newer
/// peers survive a trip through older ones.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// No agent offered the capability before the request expired in the broker's queue.
    public static let noAgent = ErrorCode("no_agent")
    /// The request's deadline passed while an agent held it.
    public static let timeout = ErrorCode("timeout")
    /// The agent holding the request died, and the retry (if any) failed too.
    public static let agentLost = ErrorCode("agent_lost")
    /// The payload could not be decoded as the capability's input type.
    public static let badRequest = ErrorCode("bad_request")
    /// The handler threw.
    public static let handlerFailed = ErrorCode("handler_failed")
    /// The agent is shutting down and refuses new work.
    public static let unavailable = ErrorCode("unavailable")
    /// The broker's queue for the capability is full.
    public static let overloaded = ErrorCode("overloaded")
    /// The capability is not offered by the agent that received the request.
    public static let unknownCapability = ErrorCode("unknown_capability")
    /// The request belongs to a workflow run that has failed or was cancelled.
    public static let workflowFailed = ErrorCode("workflow_failed")
    /// A leader-follower request carried a leadership term older than the agent knows: it was
    /// sent to (or by) a leader that has been replaced.
    public static let staleTerm = ErrorCode("stale_term")
    /// A coordinated step found no leader (or no members) in its group.
    public static let noLeader = ErrorCode("no_leader")
    /// The broker or agent hit an internal fault.
    public static let `internal` = ErrorCode("internal")
    /// The sender's key may not do this (its role does not allow the capability or topic).
    public static let forbidden = ErrorCode("forbidden")
    /// The orchestrator's store could not be read or written; retrying may succeed.
    public static let storeError = ErrorCode("store_error")
}

/// An error as it travels on the wire: a code plus a human message.
public struct WireError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// The JSON body that stands for this error to peers that do not read Colony headers:
    /// `{"error":{"code":"…","message":"…"}}`.
    public var jsonBody: [UInt8] {
        Array("{\"error\":{\"code\":\(JSONText.quote(code.rawValue)),\"message\":\(JSONText.quote(message))}}".utf8)
    }
}

/// Minimal JSON text helpers for bodies built without Foundation.
public enum JSONText {
    /// `string` as a JSON string literal.
    public static func quote(_ string: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count + 2)
        appendQuoted(string, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
