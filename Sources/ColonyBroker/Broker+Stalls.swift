import ColonyCore

extension Broker {
    /// Gives agents back time in which the routing thread did not run (the process stopped or
    /// starved of CPU, a paused machine, a log write blocked on a full pipe). What they sent
    /// meanwhile waits unread in the socket, so their silence is judged on the time the broker
    /// ran, not on the clock: on waking it would otherwise drop every agent but the one whose
    /// message it read first. Called when two turns of the routing loop are further apart than
    /// a heartbeat interval and `shortestStall`.
    func excuseSilences(during stall: MonotonicTime.Offset) {
        for worker in workers.values { worker.expiry = worker.expiry + stall }
        // An instance a request waits for may have been connecting in that time too.
        for pending in awaitingInstance {
            if let until = pending.awaitingInstanceUntil { pending.awaitingInstanceUntil = until + stall }
        }
        statistics.routingStalls += 1
        logger.warning("the broker did not run for a while; agents' silence in that time is not held against them", metadata: [
            "stalled": "\(Duration.nanoseconds(Int64(clamping: stall.nanoseconds)).readable)", "agents": "\(workers.count)",
        ])
    }
}
