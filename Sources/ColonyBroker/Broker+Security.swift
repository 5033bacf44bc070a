import ColonyAccess
import ColonyCore
import ColonyWire
import ZeroMQ

extension Broker {
    /// Whether the sender's role may ask this capability (or mmi service); a refusal is answered
    /// `forbidden` and counted. Always true without security. `known` is the service named
    /// `name`, when the caller has it at hand.
    func admitsRequest(_ frames: ReceivedParts, from client: PeerID, name: String, known: Service?, dialect: Dialect,
                       serviceIndex: Int) -> Bool {
        guard let guardian else { return true }
        guard let sender = sender(of: frames[0], peer: client, guardian: guardian) else {
            guardian.count(.revokedKey)
            refuseRequest(WireError(.forbidden, "this key is no longer allowed on the bus"), frames, dialect: dialect, serviceIndex: serviceIndex)
            return false
        }
        guard senders.verdict(sender, asking: name, known: known, decide: { AccessPolicy.mayRequest(name, $0) }) else {
            let entry = sender.entry
            guardian.count(.request)
            logger.warning("request refused", metadata: ["key": "\(entry.name)", "role": "\(entry.role.rawValue)", "capability": "\(name)"])
            refuseRequest(WireError(.forbidden, "\(entry.name) (\(entry.role.rawValue)) may not ask '\(name)'"), frames, dialect: dialect,
                          serviceIndex: serviceIndex)
            return false
        }
        return true
    }

    /// The allowed entry of `peer`, which sent `first` (its message's routing id part), nil when
    /// its key is not allowed (any more): remembered per peer (`SenderCache`).
    private func sender(of first: MessagePart, peer: PeerID, guardian: BrokerGuard) -> SenderCache.Sender? {
        guard let userID = first.userIDBytes else { return nil }
        return senders.sender(peer, userID: userID, generation: guardian.listGeneration,
                              lookUp: guardian.allowedEntry(named:))
    }

    /// Whether a worker command may go on: a revoked key is disconnected; a READY must offer only
    /// what the sender's role allows and claim no instance id of another key. A refused READY gets
    /// DISCONNECT and changes nothing. Always true without security.
    /// `peer` is the routing id that sent `frames`, and `worker` the agent registered under it.
    func admitsWorkerCommand(_ frames: ReceivedParts, from peer: PeerID, _ worker: Worker?, dialect: Dialect, command: WorkerCommand,
                             arguments: Int) -> Bool {
        guard let guardian else { return true }
        guard let sender = sender(of: frames[0], peer: peer, guardian: guardian) else {
            guardian.count(.revokedKey)
            sendCommand(.disconnect, to: peer, dialect: dialect)
            if let worker { removeWorker(worker, reason: "its key was revoked") }
            return false
        }
        guard command == .ready else { return true }
        let entry = sender.entry
        var offered: [String] = []
        if arguments < frames.count, let first = frames[arguments].string { offered.append(first) }
        var header: ColonyHeader?
        if arguments + 1 < frames.count, ColonyHeader.isHeader(frames[arguments + 1]) {
            // An undecodable header is the READY handler's to refuse as malformed.
            header = try? ColonyHeader(decoding: frames[arguments + 1])
            offered += header?.capabilities ?? []
        }
        if let refused = offered.first(where: { !AccessPolicy.mayOffer($0, entry) }) {
            guardian.count(.offer)
            logger.warning("agent refused: capability not allowed for its key", metadata: [
                "key": "\(entry.name)", "role": "\(entry.role.rawValue)", "capability": "\(refused)",
            ])
            sendCommand(.disconnect, to: peer, dialect: dialect)
            return false
        }
        if let instance = header?.instance, !instance.isEmpty {
            if let owner = instanceOwners[instance], owner != entry.name {
                guardian.count(.instance)
                logger.warning("agent refused: instance id belongs to another key", metadata: [
                    "key": "\(entry.name)", "instance": "\(instance)", "owner": "\(owner)",
                ])
                sendCommand(.disconnect, to: peer, dialect: dialect)
                return false
            }
            if instanceOwners.count < 100_000 { instanceOwners[instance] = entry.name }
        }
        return true
    }

    /// Puts a list the guard's watcher read since the last tick in force here: agents whose key
    /// was revoked (or removed) are disconnected at once. (Remembered senders and verdicts are
    /// forgotten by `SenderCache` itself, at the first message under the new list.)
    func applyAccessListChanges() {
        guard let guardian else { return }
        let generation = guardian.listGeneration
        guard generation != appliedAccessListGeneration else { return }
        appliedAccessListGeneration = generation
        for worker in Array(workers.values) {
            guard let owner = instanceOwners[worker.instance], !guardian.allows(owner) else { continue }
            logger.notice("disconnecting an agent whose key is no longer allowed", metadata: ["agent": "\(worker.name)", "key": "\(owner)"])
            sendCommand(.disconnect, to: worker)
            removeWorker(worker, reason: "its key was revoked")
        }
    }
}
