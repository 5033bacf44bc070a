import ColonyWire
import ColonyCore
import ZeroMQ

extension Broker {
    /// Drops silent workers and fills other workers' silences with HEARTBEAT. `now` is the
    /// loop's turn, read before any stall in this turn was excused: a worker is judged on it.
    func heartbeat(now: MonotonicTime) {
        for worker in Array(workers.values) where worker.expiry < now {
            removeWorker(worker, reason: "missed heartbeats")
        }
        forgetUnusedServices()
        failedRuns.expire(now: now)
        let quietSince = MonotonicTime(nanoseconds: now.nanoseconds &- UInt64(configuration.heartbeatInterval.nanosecondsClamped / 2))
        for worker in workers.values where worker.lastSent <= quietSince {
            sendCommand(.heartbeat, to: worker)
        }
        sampleMetrics()
    }

    /// Queue depths, agents by state and the counters' growth, as metrics.
    func sampleMetrics() {
        var agents: [String: Int] = [:]
        for worker in workers.values {
            agents[worker.held.isEmpty ? "idle" : worker.freeSlots <= 0 ? "busy" : "working", default: 0] += 1
        }
        var depths: [String: Int] = [:]
        for service in services.values { depths[service.metrics.capability, default: 0] += service.queue.count }
        metricsSampler.sample(currentStatistics(), queues: depths, agents: agents)
    }

    /// Answers queued requests whose time ran out, and held requests past the client's deadline.
    /// Runs every tick, so it only looks where something is due.
    func expireRequests() {
        let now = MonotonicTime.now()
        checkGateRecovery(now: now)
        expireAwaitingInstance(now: now)
        for service in services.values where service.earliestExpiry <= now {
            for pending in service.queue.removeAll(where: { $0.queueDeadline <= now }) {
                statistics.requestsExpired += 1
                let waited = now.since(pending.arrivedAt).readable
                let error: WireError = service.workers.isEmpty
                    ? WireError(.noAgent, "no agent offers \(service.name) (waited \(waited))")
                    : WireError(.timeout, "no agent offering \(service.name) became free within \(waited)")
                sendError(error, to: pending)
            }
            service.earliestExpiry = service.queue.earliestDeadline ?? MonotonicTime(nanoseconds: .max)
        }
        for worker in workers.values where !worker.targeted.isEmpty {
            let expired = worker.targeted.filter { $0.queueDeadline <= now }
            guard !expired.isEmpty else { continue }
            worker.targeted.removeAll { $0.queueDeadline <= now }
            for pending in expired {
                statistics.requestsExpired += 1
                sendError(WireError(.timeout, "agent instance \(worker.instance) did not become free within \(now.since(pending.arrivedAt).readable)"), to: pending)
            }
        }
        while let due = heldDeadlines.min, due.deadline <= now {
            heldDeadlines.removeMin()
            guard let pending = inFlight[due.holdToken], !pending.answered else { continue }
            statistics.requestsTimedOut += 1
            sendError(WireError(.timeout, "agent \(pending.worker?.name ?? "-") did not answer \(pending.service.name) before the deadline"), to: pending)
        }
    }

    /// Forgets capabilities nobody offers and nothing waits for, so requests for ever-new
    /// names (typos, garbage) cannot grow the broker's memory without bound.
    func forgetUnusedServices() {
        // Requests in flight hold their Service strongly, so forgetting it here is safe.
        for (name, service) in services where service.workers.isEmpty && service.queue.isEmpty {
            services[name] = nil
            if lastRequestedService === service { lastRequestedService = nil }
            unofferedServiceCount -= 1
        }
        assert(unofferedServiceCount == services.values.lazy.filter { $0.workers.isEmpty }.count)
    }
}
