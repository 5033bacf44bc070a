import ColonyWire
import Foundation
import Synchronization
import ColonyCore
import ZeroMQ

extension Broker {
    /// Answers `mmi.*` services: RFC 8's `mmi.service`, and Colony's directory and stats.
    func answerManagement(_ name: String, client: PeerID, dialect: Dialect, header: ColonyHeader?, body: Slice<ReceivedParts>) {
        statistics.managementQueries += 1
        let replyHeader = header.map { ColonyHeader(requestID: $0.requestID) }
        let answer: [UInt8]
        switch name {
        case ManagementService.service:
            let asked = body.first?.string ?? ""
            let live = services[asked].map { !$0.workers.isEmpty } ?? false
            answer = Array((live ? "200" : "404").utf8)
        case ManagementService.directory:
            answer = json(directory())
        case ManagementService.stats:
            answer = json(currentStatistics())
        case ManagementService.failRun:
            answer = recordFailedRuns(Array(body.map(\.bytes).joined()))
        case ManagementService.gateCheck:
            let run = body.first?.string ?? ""
            answer = failedRuns.ending(of: run).map(json) ?? Array("null".utf8)
        case ManagementService.gateSynced:
            endGateRecovery(reason: "orchestrator re-announced ended runs")
            answer = Array("{\"ok\":true}".utf8)
        case ManagementService.boot:
            answer = Array(bootID.utf8)
        case ManagementService.failedRuns:
            answer = json(failedRuns.all)
        case ManagementService.eventsRead:
            readJournal(client: client, dialect: dialect, header: header, body: body)
            return
        case ManagementService.group:
            let group = body.first?.string ?? ""
            answer = json(GroupMembers(group: group, members: directory().agents.filter {
                $0.capabilities.contains(group) || ($0.groups ?? []).contains(group)
            }.sorted { ($0.instance ?? "") < ($1.instance ?? "") }))
        default:
            answer = Array("501".utf8)
        }
        sendDirectReply(to: client, dialect: dialect, service: Array(name.utf8), header: replyHeader, body: answer)
    }

    /// Records ended runs (one `FailedRun` or an array of them) and answers the queued
    /// requests of failed and cancelled ones with `workflow_failed` at once.
    private func recordFailedRuns(_ body: [UInt8]) -> [UInt8] {
        let refusal = WireError(.badRequest, "expected {\"run\":… (1 to \(MessageLimits.maximumRunIDBytes) bytes),"
                                + "\"status\":\"failed\"|\"cancelled\"|\"completed\",\"reason\":…} or an array of them").jsonBody
        // One record or an array of them; neither is the refusal above.
        let decoded = (try? JSONDecoder().decode(FailedRun.self, from: Data(body))).map { [$0] }
            ?? (try? JSONDecoder().decode([FailedRun].self, from: Data(body)))
        guard let decoded else { return refusal }
        let ended = decoded.compactMap(\.bounded)
        guard ended.count == decoded.count else { return refusal }
        let now = MonotonicTime.now()
        var stopped: [String: FailedRun] = [:]
        for failed in ended {
            failedRuns.record(failed, now: now)
            publishFailedRun(failed)
            if failed.stopsWork { stopped[failed.run] = failed }
        }
        guard !stopped.isEmpty else { return Array("{\"ok\":true,\"queuedAnswered\":0}".utf8) }
        var answered = 0
        for service in services.values where !service.queue.isEmpty {
            for pending in service.queue.removeAll(where: { stopped[$0.clientHeader?.fields.correlationID ?? ""] != nil }) {
                let failed = stopped[pending.clientHeader?.fields.correlationID ?? ""]!
                statistics.requestsRefusedForFailedRuns += 1
                sendError(WireError(.workflowFailed, "run \(failed.run) \(failed.status): \(failed.reason)"), to: pending)
                answered += 1
            }
        }
        if stopped.count == 1, let failed = stopped.values.first {
            logger.info("run failed; refusing its requests", metadata: [
                "correlation_id": "\(failed.run)", "status": "\(failed.status)", "reason": "\(failed.reason)", "queued_answered": "\(answered)",
            ])
        } else {
            logger.info("runs ended; refusing their requests", metadata: ["runs": "\(stopped.count)", "queued_answered": "\(answered)"])
        }
        return Array("{\"ok\":true,\"queuedAnswered\":\(answered)}".utf8)
    }

    func directory() -> Directory {
        let agents = workers.values.sorted { ($0.name, $0.joinedAtMilliseconds) < ($1.name, $1.joinedAtMilliseconds) }.map { worker in
            AgentRecord(
                name: worker.name, identity: worker.id.hex, dialect: worker.dialect.description,
                capabilities: worker.services.map(\.name), capacity: worker.capacity, busy: worker.held.count,
                state: worker.held.isEmpty ? "idle" : worker.freeSlots == 0 ? "busy" : "working",
                served: worker.served, failed: worker.failed, pid: worker.processID,
                joinedAtMilliseconds: worker.joinedAtMilliseconds, lastSeenMilliseconds: worker.lastSeenMilliseconds,
                skipped: worker.skipped, instance: InstanceID(worker.instance), groups: worker.groups,
                descriptions: worker.descriptions.isEmpty ? nil : worker.descriptions
            )
        }
        let capabilities = services.values.sorted { $0.name < $1.name }.map {
            CapabilityRecord(name: $0.name, agents: $0.workers.count, queued: $0.queue.count, served: $0.served,
                             description: $0.workers.lazy.compactMap { [name = $0.name] in $0.descriptions[name] }.first)
        }
        return Directory(agents: agents, capabilities: capabilities)
    }

    func currentStatistics() -> BrokerStatistics {
        var snapshot = statistics
        snapshot.uptimeSeconds = MonotonicTime.now().since(startedAt).milliseconds / 1000
        snapshot.agentsConnected = workers.count
        snapshot.failedRunsKnown = failedRuns.stoppedCount
        snapshot.eventsForwarded = eventCounters.eventsForwarded.load(ordering: .relaxed)
        snapshot.eventsDroppedAtHighWaterMark = eventCounters.eventsDropped.load(ordering: .relaxed)
        snapshot.security = guardian == nil ? "none" : "curve"
        snapshot.securityRefusals = guardian?.refusals ?? [:]
        snapshot.subscriptionsForwarded = eventCounters.subscriptionsForwarded.load(ordering: .relaxed)
        let oversizedEvents = eventCounters.tooManyFrames.load(ordering: .relaxed)
        if oversizedEvents > 0 {
            snapshot.malformedMessages += oversizedEvents
            snapshot.malformedByReason[MalformedReason.tooManyFrames.rawValue, default: 0] += oversizedEvents
        }
        snapshot.eventsJournaled = journal.journaled.load(ordering: .relaxed)
        snapshot.eventJournalWriteFailures = journal.writeFailures.load(ordering: .relaxed)
        snapshot.eventJournal = journal.id
        snapshot.eventJournalDirectory = journal.directory ?? "memory"
        (snapshot.eventJournalEvents, snapshot.eventJournalBytes) = journal.extent
        return snapshot
    }

    private func json(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }
}
