import ColonyCore
import ColonyWire
import Metrics

/// A capability's request metrics: answered ok or with an error, the broker's own refusals by
/// code, and the time from arrival to answer. Through swift-metrics: Prometheus text at
/// `/metrics` when a process bootstraps it, no-ops otherwise.
struct ServiceMetrics {
    let capability: String
    let ok: Counter
    let failed: Counter
    let duration: Metrics.Timer

    init(capability: String) {
        self.capability = capability
        ok = Counter(label: "colony_broker_requests_total", dimensions: [("capability", capability), ("outcome", "ok")])
        failed = Counter(label: "colony_broker_requests_total", dimensions: [("capability", capability), ("outcome", "error")])
        duration = Metrics.Timer(label: "colony_broker_request_duration_seconds", dimensions: [("capability", capability)], preferredDisplayUnit: .seconds)
    }

    /// An answer an agent gave `now`, `since` the request arrived.
    func answered(failed isError: Bool, since arrival: MonotonicTime, now: MonotonicTime) {
        (isError ? failed : ok).increment()
        duration.recordNanoseconds(Int64(clamping: now.nanoseconds(since: arrival)))
    }

    /// An answer the broker gave itself `now` (no_agent, timeout, overloaded, workflow_failed…).
    func refused(_ code: ErrorCode, since arrival: MonotonicTime, now: MonotonicTime) {
        Counter(label: "colony_broker_requests_total", dimensions: [("capability", capability), ("outcome", code.rawValue)]).increment()
        duration.recordNanoseconds(Int64(clamping: now.nanoseconds(since: arrival)))
    }
}

/// What the broker reports every heartbeat tick: queue depths, agents by state, and the growth
/// of the counters it keeps anyway (malformed messages, dropped events, refused peers).
struct BrokerMetricsSampler {
    private var reported = BrokerStatistics()
    private var queues: Set<String> = []

    /// Counters that may stay at zero exist from the start, so dashboards and alerts find them.
    init() {
        Counter(label: "colony_broker_events_dropped_total").increment(by: 0)
        Counter(label: "colony_broker_events_forwarded_total").increment(by: 0)
        for reason in BrokerGuard.Refusal.allCases {
            Counter(label: "colony_broker_refused_total", dimensions: [("reason", reason.rawValue)]).increment(by: 0)
        }
    }

    mutating func sample(_ statistics: BrokerStatistics, queues depths: [String: Int], agents: [String: Int]) {
        for (capability, depth) in depths {
            Gauge(label: "colony_broker_queue_depth", dimensions: [("capability", capability)]).record(depth)
        }
        // A capability nobody offers any more: its queue is empty, not frozen at its last depth.
        for gone in queues.subtracting(depths.keys) {
            Gauge(label: "colony_broker_queue_depth", dimensions: [("capability", gone)]).record(0)
        }
        queues = Set(depths.keys)
        for state in ["idle", "working", "busy"] {
            Gauge(label: "colony_broker_agents", dimensions: [("state", state)]).record(agents[state, default: 0])
        }
        Self.grow("colony_broker_malformed_messages_total", "reason", from: reported.malformedByReason, to: statistics.malformedByReason)
        Self.grow("colony_broker_refused_total", "reason", from: reported.securityRefusals, to: statistics.securityRefusals)
        let dropped = statistics.eventsDroppedAtHighWaterMark - reported.eventsDroppedAtHighWaterMark
        if dropped > 0 { Counter(label: "colony_broker_events_dropped_total").increment(by: dropped) }
        let forwarded = statistics.eventsForwarded - reported.eventsForwarded
        if forwarded > 0 { Counter(label: "colony_broker_events_forwarded_total").increment(by: forwarded) }
        let stalls = statistics.routingStalls - reported.routingStalls
        if stalls > 0 { Counter(label: "colony_broker_routing_stalls_total").increment(by: stalls) }
        reported = statistics
    }

    private static func grow(_ label: String, _ dimension: String, from before: [String: Int], to after: [String: Int]) {
        for (key, count) in after where count > before[key, default: 0] {
            Counter(label: label, dimensions: [(dimension, key)]).increment(by: count - before[key, default: 0])
        }
    }
}
