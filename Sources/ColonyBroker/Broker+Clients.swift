import ColonyWire
import ColonyCore
import ZeroMQ

extension Broker {
    /// Routes a request from `client` (its routing id) for `name`, the capability in
    /// `frames[serviceIndex]` (nil when it is not UTF-8).
    /// `recent` is the service named `name` when `recentlyRequestedService` found it.
    func handleClientRequest(_ frames: ReceivedParts, from client: PeerID, name: String?, known recent: Service?, dialect: Dialect,
                             serviceIndex: Int) {
        guard let name, !name.isEmpty else {
            countMalformed(.badArguments, frames: frames)
            return
        }
        var bodyStart = serviceIndex + 1
        // Boxed at once: the request keeps it so, and a decoded header is 368 bytes to copy.
        var header: ClientHeader?
        if bodyStart < frames.count, ColonyHeader.isHeader(frames[bodyStart]) {
            do {
                header = ClientHeader(try ColonyHeader(decoding: frames[bodyStart]))
            } catch {
                countMalformed(.badHeader, frames: frames)
                return
            }
            bodyStart += 1
        }
        statistics.requestsReceived += 1
        if frames[serviceIndex].withUnsafeBytes(ManagementService.isManagement) {
            answerManagement(name, client: client, dialect: dialect, header: header?.fields, body: frames[bodyStart...])
            return
        }
        let now = messageTime
        let refusal = header?.fields.failIfUnoffered == true && header?.fields.targetInstance == nil
            ? unofferedCapability(name, now: now) : nil
        let known = recent ?? services[name]
        if let refusal = refusal ?? (known == nil ? refusalOfNewUnofferedCapability(name) : nil) {
            if refusal.code == .noAgent { statistics.requestsForUnofferedCapabilities += 1 }
            statistics.errorsByCode[refusal.code.rawValue, default: 0] += 1
            let failure = header.map { ColonyHeader.failure(refusal, requestID: $0.fields.requestID) }
            sendDirectReply(to: client, dialect: dialect, service: Array(name.utf8), header: failure, body: refusal.jsonBody)
            logger.debug("request refused: its capability is not offered", metadata: ["capability": "\(name)", "error": "\(refusal.message)"])
            return
        }
        let service = known ?? service(named: name, offered: false)
        lastRequestedService = service
        let clientDeadline = header?.fields.deadlineMilliseconds.map { monotonicDeadline(wallMilliseconds: $0, now: now) }
        let expiry = now + requestExpiry
        let pending = PendingRequest(
            client: client, clientDialect: dialect, clientHeader: header,
            body: MessageParts.taking(frames[bodyStart...]), service: service, arrivedAt: now,
            queueDeadline: clientDeadline.map { min($0, expiry) } ?? expiry, clientDeadline: clientDeadline
        )
        if header?.fields.correlationID != nil, heldForGateRecovery != nil {
            holdUntilGateSynced(pending)
            return
        }
        admit(pending, now: now)
    }

    /// Answers a request the broker will not route with `error`: with the header's request id
    /// when it has one (Colony clients), and as a JSON error body for everyone.
    func refuseRequest(_ error: WireError, _ frames: ReceivedParts, dialect: Dialect, serviceIndex: Int) {
        statistics.errorsByCode[error.code.rawValue, default: 0] += 1
        let requestID = serviceIndex + 1 < frames.count && ColonyHeader.isHeader(frames[serviceIndex + 1])
            ? (try? ColonyHeader(decoding: frames[serviceIndex + 1]))?.requestID : nil
        let header = requestID.map { ColonyHeader.failure(error, requestID: $0) }
        sendDirectReply(to: PeerID(part: frames[0]), dialect: dialect, service: frames[serviceIndex].bytes, header: header,
                        body: error.jsonBody)
    }

    /// Dispatches a request that has waited outside the queues (just arrived, held for gate
    /// recovery, or waiting for its instance) unless its run ended meanwhile (the failure gate)
    /// or its deadline passed: those are answered.
    func admit(_ pending: PendingRequest, now: MonotonicTime) {
        if let run = pending.clientHeader?.fields.correlationID, let failure = failedRuns.ending(of: run), failure.stopsWork {
            statistics.requestsRefusedForFailedRuns += 1
            sendError(WireError(.workflowFailed, "run \(run) \(failure.status): \(failure.reason)"), to: pending)
        } else if let deadline = pending.clientDeadline, deadline <= now {
            statistics.requestsTimedOut += 1
            sendError(WireError(.timeout, "deadline passed before an agent could be given the request"), to: pending)
        } else {
            dispatch(pending)
        }
    }

    /// The answer for a request no agent will come for: its capability was never offered since
    /// the broker started, and the start was long enough ago for agents to have reconnected.
    func unofferedCapability(_ name: String, now: MonotonicTime) -> WireError? {
        guard !offeredCapabilities.contains(name), offeredCapabilities.count < Self.maxOfferedCapabilities,
              now.since(startedAt) >= configuration.unofferedCapabilityGrace else { return nil }
        let offered = services.values.filter { !$0.workers.isEmpty }.map(\.name)
        var message = "no agent offers \(name) (none has since the broker started \(now.since(startedAt).readable) ago)"
        if let near = closestMatch(to: name, in: offered) { message += "; did you mean \(near)?" }
        return WireError(.noAgent, message)
    }

    /// The service of the last routed request, if `part` names it too: found by comparing bytes,
    /// where a lookup in `services` makes the name a `String` and hashes it. Requests come in runs
    /// for one capability (a client's burst, a pipelined window); another name is told apart at
    /// its first differing byte and takes the lookup.
    func recentlyRequestedService(named part: MessagePart) -> Service? {
        guard let last = lastRequestedService, part.withUnsafeBytes({ $0.elementsEqual(last.nameBytes) }) else { return nil }
        return last
    }

    /// The capability `name`, made on first use. `offered` when an agent offers it: its metrics
    /// then carry its name, also when requests made it earlier under `CapabilityLabels.other`.
    func service(named name: String, offered: Bool) -> Service {
        if let existing = services[name] {
            if offered, existing.metrics.capability == CapabilityLabels.other {
                let label = capabilityLabels.label(for: name, offered: true)
                if label != CapabilityLabels.other { existing.metrics = ServiceMetrics(capability: label) }
            }
            return existing
        }
        let label = capabilityLabels.label(for: name, offered: offered || offeredCapabilities.contains(name))
        let created = Service(name: name, metricsLabel: label, totals: queueTotals)
        services[name] = created
        unofferedServiceCount += 1
        return created
    }

    /// Why a request for `name`, which has no queue yet, may not make one: no agent offers that
    /// name and `maxUnofferedCapabilities` names nobody offers already have one. Nil when it may.
    func refusalOfNewUnofferedCapability(_ name: String) -> WireError? {
        assert(unofferedServiceCount == services.values.lazy.filter { $0.workers.isEmpty }.count)
        guard unofferedServiceCount >= configuration.maxUnofferedCapabilities else { return nil }
        return WireError(.overloaded, "the broker already keeps \(unofferedServiceCount) capabilities that no agent offers (max_unoffered_capabilities); '\(name)' is not offered either")
    }

    /// Converts a wall-clock deadline from a peer to the monotonic clock. Any value is
    /// accepted: past ones are now, and ones beyond `Duration.longest` saturate there.
    func monotonicDeadline(wallMilliseconds: UInt64, now: MonotonicTime) -> MonotonicTime {
        let wallNow = WallClock.nowMilliseconds()
        if wallMilliseconds <= wallNow { return now }
        return now + Duration(clampingMilliseconds: wallMilliseconds - wallNow)
    }

    /// Gives `pending` to the best free worker of its service, or queues it.
    /// `front` puts a re-dispatched request ahead of newer ones.
    func dispatch(_ pending: PendingRequest, front: Bool = false) {
        if let target = pending.clientHeader?.fields.targetInstance {
            dispatch(pending, toInstance: target)
            return
        }
        if routeToItsInstance(pending) { return }
        let service = pending.service
        while let worker = service.pickWorker() {
            if assign(pending, to: worker) { return }
            removeWorker(worker, reason: "unreachable")
        }
        guard service.queue.count < configuration.maxQueuedPerCapability,
              service.queue.bytes + pending.size <= configuration.maxQueuedBytesPerCapability
        else {
            sendError(WireError(.overloaded, "queue for \(service.name) is full (\(service.queue.count) requests, \(service.queue.bytes) bytes)"), to: pending)
            return
        }
        guard queueTotals.count < configuration.maxQueuedTotal, queueTotals.bytes + pending.size <= configuration.maxQueuedBytesTotal else {
            sendError(WireError(.overloaded, "the broker's queues are full (\(queueTotals.count) requests, \(queueTotals.bytes) bytes waiting in all)"), to: pending)
            return
        }
        statistics.requestsQueued += 1
        pending.prepareToWait(receiveBuffers)
        if front { service.queue.prepend(pending) } else { service.queue.append(pending) }
        service.earliestExpiry = min(service.earliestExpiry, pending.queueDeadline)
    }

    /// Gives a request addressed to one agent instance to that instance only: at once when it
    /// has a free slot, else in its own queue; refused when the instance is not connected or
    /// does not offer the capability.
    func dispatch(_ pending: PendingRequest, toInstance target: String) {
        if let stale = supersededTerm(of: pending) {
            sendError(stale, to: pending)
            return
        }
        guard let worker = workersByInstance[target] else {
            sendError(WireError(.noAgent, "agent instance \(target) is not connected"), to: pending)
            return
        }
        guard worker.services.contains(where: { $0 === pending.service }) else {
            sendError(WireError(.unknownCapability, "agent instance \(target) does not offer \(pending.service.name)"), to: pending)
            return
        }
        if worker.freeSlots > 0 {
            if assign(pending, to: worker) { return }
            removeWorker(worker, reason: "unreachable")
            sendError(WireError(.noAgent, "agent instance \(target) is unreachable"), to: pending)
            return
        }
        guard worker.targeted.count < configuration.maxQueuedPerCapability else {
            sendError(WireError(.overloaded, "agent instance \(target) has \(worker.targeted.count) requests waiting"), to: pending)
            return
        }
        statistics.requestsQueued += 1
        pending.prepareToWait(receiveBuffers)
        worker.targeted.append(pending)
    }

    /// Sends `pending` to `worker` and records the hold. False if the worker is unreachable.
    func assign(_ pending: PendingRequest, to worker: Worker) -> Bool {
        pending.holdToken = inFlight.insert(pending)
        guard sendRequest(pending, to: worker) else {
            inFlight.remove(pending.holdToken)
            return false
        }
        if let key = pending.clientHeader?.fields.idempotencyKey { affinity.record(key, owner: worker.instance) }
        pending.dispatches += 1
        pending.worker = worker
        if pending.clientHeader?.fields.wantsDispatchNotice == true { scheduleDispatchNotice(pending, to: worker) }
        worker.hold(pending)
        if let deadline = pending.clientDeadline {
            heldDeadlines.insert(HeldDeadline(deadline: deadline, holdToken: pending.holdToken))
        }
        statistics.requestsDispatched += 1
        return true
    }

    /// `stale_term` when `pending` was sent under a leadership term older than the newest this
    /// broker has seen for its group; otherwise notes its term. The table is bounded: past
    /// `maxQueuedPerCapability` groups it starts again (agents fence terms themselves too).
    func supersededTerm(of pending: PendingRequest) -> WireError? {
        guard let header = pending.clientHeader?.fields, let term = header.term, let group = header.groups.first else { return nil }
        let latest = latestTerms[group] ?? 0
        if term < latest { return WireError(.staleTerm, "term \(term) of group \(group) was superseded by term \(latest)") }
        if latestTerms.count >= configuration.maxQueuedPerCapability, latestTerms[group] == nil { latestTerms.removeAll() }
        latestTerms[group] = term
        return nil
    }

    /// Fills `worker`'s free slots from the queues of its services, oldest request first.
    func serveQueues(with worker: Worker) {
        while worker.freeSlots > 0, let addressed = worker.targeted.popFirst() {
            if let stale = supersededTerm(of: addressed) {
                sendError(stale, to: addressed)
                continue
            }
            if !assign(addressed, to: worker) {
                worker.targeted.prepend(addressed)
                removeWorker(worker, reason: "unreachable")
                return
            }
        }
        while worker.freeSlots > 0 {
            var oldest: Service?
            for service in worker.services {
                guard let head = service.queue.first else { continue }
                if let current = oldest?.queue.first, current.arrivedAt <= head.arrivedAt { continue }
                oldest = service
            }
            guard let service = oldest, let pending = service.queue.popFirst() else { return }
            if !assign(pending, to: worker) {
                service.queue.prepend(pending)
                removeWorker(worker, reason: "unreachable")
                return
            }
        }
    }
}
