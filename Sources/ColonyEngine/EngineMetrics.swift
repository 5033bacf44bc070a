import ColonyCore
import ColonyWorkflow
import Metrics

/// The orchestrator's metrics through swift-metrics (Prometheus text at `/metrics` when the
/// process bootstraps it; no-ops otherwise): runs by workflow and status, step durations and
/// retries, queue length and wait, schedule lateness and tick outcomes.
public enum EngineMetrics {
    static func runEnded(workflow: String, status: RunStatus) {
        Counter(label: "colony_runs_total", dimensions: [("workflow", workflow), ("status", status.rawValue)]).increment()
    }

    /// Step outcomes (with their attempt's duration), retries and queue waits, from a stored batch.
    static func record(_ notices: [TransitionNotice]) {
        for notice in notices {
            let workflow = notice.workflow ?? "-"
            if let step = notice.step {
                switch notice.to {
                case "succeeded", "failed":
                    if let duration = notice.durationMilliseconds {
                        Metrics.Timer(label: "colony_step_duration_seconds", dimensions: [("workflow", workflow), ("step", step.rawValue), ("outcome", notice.to)],
                                      preferredDisplayUnit: .seconds).recordMilliseconds(duration)
                    }
                case "retrying":
                    Counter(label: "colony_step_retries_total", dimensions: [("workflow", workflow), ("step", step.rawValue)]).increment()
                default:
                    break
                }
            } else if notice.to == "running", let waited = notice.queuedMilliseconds {
                Metrics.Timer(label: "colony_run_queue_wait_seconds", dimensions: [("workflow", workflow)], preferredDisplayUnit: .seconds)
                    .recordMilliseconds(waited)
            }
        }
    }

    static func queueLength(_ runs: Int) {
        Gauge(label: "colony_run_queue_length").record(runs)
    }

    static func tickStarted(schedule: String, lateness seconds: Double) {
        Metrics.Timer(label: "colony_schedule_lateness_seconds", dimensions: [("schedule", schedule)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(max(0, min(seconds, 86_400 * 365)) * 1e9))
        tick(schedule: schedule, outcome: "started")
    }

    static func tick(schedule: String, outcome: String) {
        Counter(label: "colony_schedule_ticks_total", dimensions: [("schedule", schedule), ("outcome", outcome)]).increment()
    }

    /// This process's standing in the orchestrator lease: active under `term`, or standby.
    public static func lease(active: Bool, term: Int64) {
        Gauge(label: "colony_orchestrator_active").record(active ? 1 : 0)
        if active { Gauge(label: "colony_orchestrator_term").record(term) }
    }
}
