import ColonyCore
import ColonyWire
import ZeroMQ

/// One execution per attempt across replicas: a request goes back to the agent instance that
/// had it before — the one the client names (`preferredInstance`: an orchestrator re-sending
/// an attempt after a restart) or the one this broker last gave its idempotency key to —
/// while that instance is connected. A named instance that is not connected gets one agent
/// expiry to (re)connect (it may be reconnecting to a restarted broker, its handler still
/// running). Only then does another agent get the request, marked `redeliveredAfterLossOf`.
extension Broker {
    /// True if `pending` was routed (or parked) for the instance that had it.
    func routeToItsInstance(_ pending: PendingRequest) -> Bool {
        guard pending.redeliveredAfterLossOf == nil, let header = pending.clientHeader?.fields else { return false }
        let preferred = header.preferredInstance
        guard let owner = preferred ?? header.idempotencyKey.flatMap({ affinity.owner(of: $0) }) else { return false }
        if let holder = workersByInstance[owner], holder.services.contains(where: { $0 === pending.service }) {
            dispatch(pending, toInstance: owner)
            return true
        }
        if preferred != nil, pending.awaitingInstanceUntil == nil, awaitingInstance.count < configuration.maxQueuedPerCapability {
            pending.awaitingInstanceUntil = MonotonicTime.now() + agentExpiry
            pending.prepareToWait(receiveBuffers)
            statistics.requestsQueued += 1
            awaitingInstance.append(pending)
            return true
        }
        pending.redeliveredAfterLossOf = owner
        statistics.requestsRedeliveredAfterAgentLoss += 1
        logger.info("request goes to another agent: the one that had it is gone", metadata: [
            "capability": "\(pending.service.name)", "lost_instance": "\(owner)", "correlation_id": "\(header.correlationID ?? "-")",
        ])
        return false
    }

    /// An instance connected: the requests waiting for it go to it.
    func instanceConnected(_ instance: String) {
        releaseAwaiting(now: .now()) { $0.clientHeader?.fields.preferredInstance == instance }
    }

    /// Requests whose instance did not come back in time go to another agent (or time out).
    func expireAwaitingInstance(now: MonotonicTime) {
        releaseAwaiting(now: now) { ($0.awaitingInstanceUntil ?? now) <= now || ($0.clientDeadline ?? .distantFuture) <= now }
    }

    /// Takes the waiting requests for which `isReleased` holds out of the wait and admits them.
    private func releaseAwaiting(now: MonotonicTime, where isReleased: (PendingRequest) -> Bool) {
        guard awaitingInstance.contains(where: isReleased) else { return }
        let released = awaitingInstance.filter(isReleased)
        awaitingInstance.removeAll(where: isReleased)
        for pending in released { admit(pending, now: now) }
    }

    /// Arranges to tell a client that asked which instance got its request, once the agent has
    /// held it `dispatchNoticeDelay` (at once past `maxDueNotices` waiting notices).
    func scheduleDispatchNotice(_ pending: PendingRequest, to worker: Worker) {
        guard dueNotices.count < Self.maxDueNotices else { return sendDispatchNotice(pending, to: worker) }
        dueNotices.append(DueNotice(due: messageTime + configuration.dispatchNoticeDelay, holdToken: pending.holdToken))
    }

    /// At most this many dispatch notices wait for their delay (16 bytes each).
    static let maxDueNotices = 100_000

    /// Sends the notices that are due for requests still held under the same hold.
    func sendDueNotices(now: MonotonicTime) {
        while let first = dueNotices.first, first.due <= now {
            dueNotices.removeFirst()
            guard let pending = inFlight[first.holdToken], let worker = pending.worker else { continue }
            sendDispatchNotice(pending, to: worker)
        }
    }

    /// Tells a client that asked which instance got its request (a PARTIAL with no body).
    func sendDispatchNotice(_ pending: PendingRequest, to worker: Worker) {
        guard pending.clientDialect.version == .v02, !pending.answered else { return }
        var notice = ColonyHeader(requestID: pending.clientHeader?.fields.requestID)
        notice.dispatchedTo = worker.instance
        sendReply(to: pending, partial: true, header: .encoded(notice.encoded()), body: .none)
    }
}
