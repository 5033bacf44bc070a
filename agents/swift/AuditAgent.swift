import ColonyAgent
import ColonyCore
import ColonyWire

/// `audit`: reacts to events. Each `echo.announced` event is checked for `audit.delay_ms`
/// (default 50) and then confirmed by asking `echo` (a request made inside an event handler,
/// so it carries the event's run) and publishing `audit.recorded`. Shows chains of agents
/// calling agents staying inside a run, and its failure gate.
public enum AuditAgent {
    public static let recorded = "audit.recorded"

    public static func make(concurrency: Int = 16, endpoints: BrokerEndpoints = .defaults) -> Agent {
        var agent = Agent(name: "audit", concurrency: concurrency)
        let client = ColonyClient(endpoints: endpoints)
        agent.on(EchoAgent.announced) { (event: JSONValue, context) in
            let delay = event.value(at: ["audit", "delay_ms"]).flatMap { if case .number(let ms) = $0 { Duration(checkedSeconds: ms / 1000) } else { nil } } ?? .milliseconds(50)
            try await Task.sleep(for: delay)
            if await context.runHasFailed() { return }
            let confirmed = try await client.request("echo", body: [Array(event.jsonText.utf8)], timeout: .seconds(5))
            try await context.publish(recorded, JSONValue(body: confirmed.bytes))
        }
        agent.on(recorded) { (_: JSONValue, context) in
            context.logger.info("audit recorded")
        }
        return agent
    }
}
