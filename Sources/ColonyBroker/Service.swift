import ColonyWire
import ColonyCore
import ZeroMQ

/// A capability as the broker sees it: who offers it and what waits for it. Its properties skip
/// run-time exclusivity checks, as `Broker` explains: only the routing thread touches them.
final class Service {
    let name: String
    let nameBytes: [UInt8]
    /// Live agent connections offering it, in registration order.
    @exclusivity(unchecked) private(set) var workers: [Worker] = []
    /// Requests waiting for a free agent, round-robin across clients.
    @exclusivity(unchecked) var queue: FairQueue
    /// No queued request expires before this: expiry scans the queue only once it has passed.
    @exclusivity(unchecked) var earliestExpiry = MonotonicTime(nanoseconds: .max)
    @exclusivity(unchecked) var served = 0
    /// Its metrics, labelled by its name or, for one of too many names no agent offered, by
    /// `CapabilityLabels.other` (replaced once an agent offers it).
    @exclusivity(unchecked) var metrics: ServiceMetrics

    init(name: String, metricsLabel: String, totals: QueueTotals) {
        self.name = name
        self.nameBytes = Array(name.utf8)
        self.metrics = ServiceMetrics(capability: metricsLabel)
        self.queue = FairQueue(totals: totals)
    }

    /// Adds an agent offering it; true when it was offered by none before.
    func add(_ worker: Worker) -> Bool {
        workers.append(worker)
        return workers.count == 1
    }

    /// Removes an agent; true when none offers it any more.
    func remove(_ worker: Worker) -> Bool {
        let before = workers.count
        workers.removeAll { $0 === worker }
        return before > 0 && workers.isEmpty
    }

    /// The worker with the most free slots; among equals, the one idle longest (LRU).
    func pickWorker() -> Worker? {
        var best: Worker?
        for worker in workers where worker.freeSlots > 0 {
            guard let current = best else { best = worker; continue }
            if worker.freeSlots > current.freeSlots
                || (worker.freeSlots == current.freeSlots && worker.freedSequence < current.freedSequence) {
                best = worker
            }
        }
        return best
    }
}
