import ColonyCore
import ColonyAgent
import ColonyWire

/// `echo`: answers every request with its own body; `echo.stream` shows partial replies,
/// `echo.sleep` a slow handler, `echo.announce` publishes its input as an `echo.announced`
/// event (carrying the request's run) and answers with it.
public enum EchoAgent {
    /// Input of `echo.stream`: send `text` back `count` times as partial replies.
    public struct StreamRequest: Codable, Sendable {
        public var text: String
        public var count: Int
    }

    /// One piece of an `echo.stream` answer.
    public struct StreamPart: Codable, Sendable {
        public var index: Int
        public var text: String
    }

    /// Input and output of `echo.sleep`: wait `ms` milliseconds, then answer.
    public struct Sleep: Codable, Sendable {
        public var ms: Int
    }

    /// The topic `echo.announce` publishes on.
    public static let announced = "echo.announced"

    public static func make(concurrency: Int = 16) -> Agent {
        var agent = Agent(name: "echo", concurrency: concurrency)
        agent.rawCapability("echo") { body, _ in body }
        agent.capability("echo.stream") { (request: StreamRequest, context) in
            for index in 0..<max(0, request.count - 1) {
                try await context.sendPartial(StreamPart(index: index, text: request.text))
            }
            return StreamPart(index: max(0, request.count - 1), text: request.text)
        }
        agent.capability("echo.announce") { (body: JSONValue, context) in
            try await context.publish(announced, body)
            return body
        }
        agent.capability("echo.sleep") { (request: Sleep, _) in
            try await Task.sleep(for: .milliseconds(max(0, request.ms)))
            return request
        }
        return agent
    }
}
