import ColonyAccess
import ColonyCore
import ColonyWire
import ZeroMQ

extension Broker {
    /// Whether the sender's role may ask this capability (or mmi service); a refusal is answered
    /// `forbidden` and counted. Always true without security.
    func admitsRequest(_ frames: [Frame], dialect: Dialect, serviceIndex: Int) -> Bool {
        guard let guardian else { return true }
        let name = frames[serviceIndex].string ?? ""
        guard let sender = guardian.sender(of: frames[0]) else {
            guardian.count(.revokedKey)
            refuse(frames, dialect: dialect, serviceIndex: serviceIndex, "this key is no longer allowed on the bus")
            return false
        }
        guard mayRequest(name, sender) else {
            guardian.count(.request)
            logger.warning("request refused", metadata: ["key": "\(sender.name)", "role": "\(sender.role.rawValue)", "capability": "\(name)"])
            refuse(frames, dialect: dialect, serviceIndex: serviceIndex, "\(sender.name) (\(sender.role.rawValue)) may not ask '\(name)'")
            return false
        }
        return true
    }

    /// `AccessPolicy.mayRequest`, remembered per key and capability until the access list
    /// changes: the policy's pattern matching runs once, not at every request.
    private func mayRequest(_ capability: String, _ sender: AccessEntry) -> Bool {
        if let verdict = requestVerdicts[sender.name]?[capability] { return verdict }
        let verdict = AccessPolicy.mayRequest(capability, sender)
        if requestVerdictCount >= Self.maximumRequestVerdicts {
            requestVerdicts.removeAll()
            requestVerdictCount = 0
        }
        requestVerdicts[sender.name, default: [:]][capability] = verdict
        requestVerdictCount += 1
        return verdict
    }

    /// Verdicts kept at most (then forgotten all at once and learnt again).
    static let maximumRequestVerdicts = 10_000

    private func refuse(_ frames: [Frame], dialect: Dialect, serviceIndex: Int, _ message: String) {
        let error = WireError(.forbidden, message)
        statistics.errorsByCode[error.code.rawValue, default: 0] += 1
        let requestID = serviceIndex + 1 < frames.count && ColonyHeader.isHeader(frames[serviceIndex + 1])
            ? (try? ColonyHeader(decoding: frames[serviceIndex + 1]))?.requestID : nil
        let header = requestID.map { ColonyHeader.failure(error, requestID: $0) }
        sendDirectReply(to: PeerID(frame: frames[0]), dialect: dialect, service: frames[serviceIndex].bytes, header: header,
                        body: error.jsonBody)
    }

    /// Whether a worker command may go on: a revoked key is disconnected; a READY must offer only
    /// what the sender's role allows and claim no instance id of another key. A refused READY gets
    /// DISCONNECT and changes nothing. Always true without security.
    func admitsWorkerCommand(_ frames: [Frame], dialect: Dialect, command: WorkerCommand, arguments: Int) -> Bool {
        guard let guardian else { return true }
        let peer = PeerID(frame: frames[0])
        guard let sender = guardian.sender(of: frames[0]) else {
            guardian.count(.revokedKey)
            sendCommand(.disconnect, to: peer, dialect: dialect)
            if let worker = workers[peer] { removeWorker(worker, reason: "its key was revoked") }
            return false
        }
        guard command == .ready else { return true }
        var offered: [String] = []
        if arguments < frames.count, let first = frames[arguments].string { offered.append(first) }
        var header: ColonyHeader?
        if arguments + 1 < frames.count, ColonyHeader.isHeader(frames[arguments + 1]) {
            // An undecodable header is the READY handler's to refuse as malformed.
            header = try? ColonyHeader(decoding: frames[arguments + 1])
            offered += header?.capabilities ?? []
        }
        if let refused = offered.first(where: { !AccessPolicy.mayOffer($0, sender) }) {
            guardian.count(.offer)
            logger.warning("agent refused: capability not allowed for its key", metadata: [
                "key": "\(sender.name)", "role": "\(sender.role.rawValue)", "capability": "\(refused)",
            ])
            sendCommand(.disconnect, to: peer, dialect: dialect)
            return false
        }
        if let instance = header?.instance, !instance.isEmpty {
            if let owner = instanceOwners[instance], owner != sender.name {
                guardian.count(.instance)
                logger.warning("agent refused: instance id belongs to another key", metadata: [
                    "key": "\(sender.name)", "instance": "\(instance)", "owner": "\(owner)",
                ])
                sendCommand(.disconnect, to: peer, dialect: dialect)
                return false
            }
            if instanceOwners.count < 100_000 { instanceOwners[instance] = sender.name }
        }
        return true
    }

    /// Re-reads the access list when it changed; agents whose key was revoked (or removed) are
    /// disconnected at once.
    func applyAccessListChanges() {
        guard let guardian, guardian.reloadIfChanged() else { return }
        requestVerdicts.removeAll()
        requestVerdictCount = 0
        for worker in Array(workers.values) {
            guard let owner = instanceOwners[worker.instance], !guardian.allows(owner) else { continue }
            logger.notice("disconnecting an agent whose key is no longer allowed", metadata: ["agent": "\(worker.name)", "key": "\(owner)"])
            sendCommand(.disconnect, to: worker)
            removeWorker(worker, reason: "its key was revoked")
        }
    }
}
