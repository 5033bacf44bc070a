import ColonyCore
import ColonyWorkflow
import Metrics

/// The orchestrator's metrics through swift-metrics (Prometheus text at `/metrics` when the
/// process bootstraps it; no-ops otherwise): runs by workflow and status, step durations and
/// retries, queue length and wait, schedule lateness and tick outcomes.
public struct EngineMetrics {
    /// Handles by their dimensions: making one asks the metrics backend (a lock and a lookup),
    /// so the engine makes each once. Bounded by the workflows' steps (definitions are bounded).
    private var timers: [[String]: Metrics.Timer] = [:]
    private var counters: [[String]: Counter] = [:]
    private let queueLength = Gauge(label: "colony_run_queue_length")

    init() {}

    mutating func runEnded(workflow: String, status: RunStatus) {
        counter("colony_runs_total", [("workflow", workflow), ("status", status.rawValue)]).increment()
    }

    /// Step outcomes (with their attempt's duration), retries and queue waits, from a stored batch.
    mutating func record(_ notices: [TransitionNotice]) {
        for notice in notices {
            let workflow = notice.workflow ?? "-"
            if let step = notice.step {
                switch notice.to {
                case "succeeded", "failed":
                    if let duration = notice.durationMilliseconds {
                        timer("colony_step_duration_seconds", [("workflow", workflow), ("step", step.rawValue), ("outcome", notice.to)]).recordMilliseconds(duration)
                    }
                case "retrying":
                    counter("colony_step_retries_total", [("workflow", workflow), ("step", step.rawValue)]).increment()
                default:
                    break
                }
            } else if notice.to == "running", let waited = notice.queuedMilliseconds {
                timer("colony_run_queue_wait_seconds", [("workflow", workflow)]).recordMilliseconds(waited)
            }
        }
    }

    func queue(length runs: Int) {
        queueLength.record(runs)
    }

    private mutating func timer(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        let key = [label] + dimensions.map(\.1)
        if let timer = timers[key] { return timer }
        let timer = Metrics.Timer(label: label, dimensions: dimensions, preferredDisplayUnit: .seconds)
        timers[key] = timer
        return timer
    }

    private mutating func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = [label] + dimensions.map(\.1)
        if let counter = counters[key] { return counter }
        let counter = Counter(label: label, dimensions: dimensions)
        counters[key] = counter
        return counter
    }

    static func tickStarted(schedule: String, lateness seconds: Double) {
        Metrics.Timer(label: "colony_schedule_lateness_seconds", dimensions: [("schedule", schedule)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(max(0, min(seconds, 86_400 * 365)) * 1e9))
        tick(schedule: schedule, outcome: "started")
    }

    static func tick(schedule: String, outcome: String) {
        Counter(label: "colony_schedule_ticks_total", dimensions: [("schedule", schedule), ("outcome", outcome)]).increment()
    }

    /// This process's standing in the orchestrator lease: active under `term`, or standby; the
    /// `holder` label names the process as the lease does (host/pid/nonce).
    public static func lease(active: Bool, term: Int64, holder: String) {
        Gauge(label: "colony_orchestrator_active", dimensions: [("holder", holder)]).record(active ? 1 : 0)
        if active { Gauge(label: "colony_orchestrator_term").record(term) }
    }
}
