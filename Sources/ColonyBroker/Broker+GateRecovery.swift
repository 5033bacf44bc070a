import ColonyCore
import ColonyWire
import ZeroMQ

/// A broker that starts knows no ended runs: until the orchestrator has re-announced them,
/// a request of a failed run could pass. So requests that belong to a run wait (bounded in
/// count, within their deadlines) until `mmi.gate.synced` or `gateRecovery` after start,
/// and then go through the gate like any other.
extension Broker {
    func holdUntilGateSynced(_ pending: PendingRequest) {
        guard (heldForGateRecovery?.count ?? 0) < configuration.maxQueuedPerCapability else {
            sendError(WireError(.overloaded, "broker is recovering its failure gate; too many requests wait"), to: pending)
            return
        }
        statistics.requestsQueued += 1
        pending.prepareToWait(receiveBuffers)
        heldForGateRecovery?.append(pending)
    }

    /// Ends recovery (synced, or the time is up): held requests go through the gate.
    func endGateRecovery(reason: String) {
        guard let held = heldForGateRecovery else { return }
        heldForGateRecovery = nil
        logger.debug("failure gate in sync", metadata: ["reason": "\(reason)", "released": "\(held.count)", "known_runs": "\(failedRuns.stoppedCount)"])
        let now = MonotonicTime.now()
        for pending in held { admit(pending, now: now) }
    }

    /// Called on every timer tick: recovery ends by itself after `gateRecovery`.
    func checkGateRecovery(now: MonotonicTime) {
        if heldForGateRecovery != nil, now.since(startedAt) >= configuration.gateRecovery {
            endGateRecovery(reason: "recovery period over")
        }
    }
}
