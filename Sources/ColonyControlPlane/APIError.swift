import ColonyAgent
import Foundation
import Hummingbird

/// An API error: an HTTP status and `{"error":{"code":…,"message":…}}`, the bus's convention.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some Hummingbird.RequestContext) throws -> Response {
        try JSONResponse.make(ErrorBody(error: .init(code: code, message: message)), status: status)
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable { var code: String; var message: String }
        var error: Detail
    }

    /// What a failed bus request means to an HTTP caller.
    init(_ error: RequestError) {
        switch error {
        case .noAgent(let capability, _):
            self.init(.serviceUnavailable, "unavailable", "nothing on the bus answers \(capability): is an orchestrator running?")
        case .timedOut(_, let message): self.init(.gatewayTimeout, "timeout", message)
        case .brokerUnreachable(let endpoint): self.init(.serviceUnavailable, "broker_unreachable", "the broker at \(endpoint) does not answer")
        case .failed(let wire): self.init(Self.status(of: wire.code.rawValue), wire.code.rawValue, wire.message)
        case .invalidInput(let message): self.init(.badRequest, "bad_request", message)
        case .invalidReply(let message): self.init(.badGateway, "invalid_reply", message)
        case .cancelled: self.init(.serviceUnavailable, "unavailable", "the request was cancelled")
        }
    }

    /// The HTTP status of an error code from the bus.
    static func status(of code: String) -> HTTPResponse.Status {
        switch code {
        case "unknown_workflow", "unknown_run", "unknown_schedule", "not_found": .notFound
        case "invalid_input", "invalid_schedule", "bad_request", "unknown_signal", "unknown_step": .badRequest
        case "workflow_disabled", "already_finished", "not_leader", "signal_not_awaited", "not_running", "not_paused", "not_finished", "nothing_to_retry", "run_exists": .conflict
        case "forbidden": .forbidden
        case "overloaded": .tooManyRequests
        default: .badGateway
        }
    }

    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", what) }
    static func badRequest(_ what: String) -> APIError { APIError(.badRequest, "bad_request", what) }
}
