import ColonyWire
import ColonyCore
import ZeroMQ

/// How a reply's Colony header is produced.
enum ReplyHeader {
    /// No header frame (plain MDP clients).
    case none
    /// Forward this part as it is (a Colony agent's reply header, already carrying the request id).
    case forward(MessagePart)
    /// Send these encoded bytes.
    case encoded([UInt8])
}

/// What a reply carries after its header.
enum ReplyBody {
    /// Nothing (a dispatch notice).
    case none
    /// One frame of these bytes (an error body made here).
    case bytes([UInt8])
    /// An agent's reply parts, forwarded as they are.
    case parts(Slice<ReceivedParts>)

    var isEmpty: Bool {
        switch self {
        case .none: true
        case .bytes: false
        case .parts(let parts): parts.isEmpty
        }
    }
}

extension Broker {
    /// Starts a message to `peer`; false if the peer is gone (ROUTER_MANDATORY) or blocked.
    func beginMessage(to peer: PeerID) -> Bool {
        do {
            return try peer.withUnsafeBytes { bytes throws(ZMQError) in try router.send(bytes: bytes, more: true) }
        } catch .hostUnreachable {
            return false
        } catch {
            logger.error("send failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Sends one more frame of a message already begun. Once the first frame is accepted
    /// libzmq takes the rest of the message, so failures here mean the context is ending.
    func sendPart(_ bytes: [UInt8], more: Bool = true) {
        _ = try? router.send(bytes, more: more, wait: true)
    }

    /// Forwards a received part (its content moves to libzmq).
    func sendPart(_ part: MessagePart, more: Bool = true) {
        _ = try? router.send(part, more: more, wait: true)
    }

    /// Sends a constant frame (a protocol name), a one-byte command frame, or an empty delimiter:
    /// the frames of every message's prologue, sent with no array behind them.
    func sendPart(_ text: StaticString, more: Bool = true) {
        _ = try? router.send(text, more: more, wait: true)
    }

    func sendPart(byte: UInt8, more: Bool = true) {
        _ = try? router.send(byte: byte, more: more, wait: true)
    }

    func sendEmptyPart(more: Bool = true) {
        _ = try? router.sendEmptyFrame(more: more, wait: true)
    }

    /// Sends the protocol header frames for a message to a worker.
    private func sendWorkerPrologue(_ dialect: Dialect, command: WorkerCommand) {
        if dialect.delimited { sendEmptyPart() }
        let version = dialect.version
        sendPart(ProtocolFrame(isWorker: true, version: version).text)
        sendPart(byte: command.byte(in: version) ?? 0, more: command != .heartbeat && command != .disconnect)
    }

    /// Sends a bodiless command (HEARTBEAT, DISCONNECT) to a worker.
    func sendCommand(_ command: WorkerCommand, to worker: Worker) {
        sendCommand(command, to: worker.id, dialect: worker.dialect)
        worker.lastSent = .now()
    }

    func sendCommand(_ command: WorkerCommand, to peer: PeerID, dialect: Dialect) {
        guard beginMessage(to: peer) else { return }
        sendWorkerPrologue(dialect, command: command)
        if command == .disconnect { statistics.workerDisconnectsSent += 1 }
    }

    /// Sends the protocol frames that open a reply to a client of `dialect`.
    private func sendClientPrologue(_ dialect: Dialect, partial: Bool) {
        if dialect.delimited { sendEmptyPart() }
        sendPart(ProtocolFrame(isWorker: false, version: dialect.version).text)
        if dialect.version == .v02 {
            let command = partial ? MDP.ClientCommand.partial : MDP.ClientCommand.final
            sendPart(byte: command.byte(in: dialect))
        }
    }

    /// Sends `pending` to `worker`; false (nothing sent) if the worker is unreachable.
    func sendRequest(_ pending: PendingRequest, to worker: Worker) -> Bool {
        guard beginMessage(to: worker.id) else { return false }
        sendWorkerPrologue(worker.dialect, command: .request)
        var token = pending.holdToken.littleEndian
        withUnsafeBytes(of: &token) { _ = try? router.send(bytes: $0, more: true, wait: true) }
        let last = pending.body.count - 1
        sendEmptyPart(more: worker.readsHeaders || last >= 0)
        if worker.readsHeaders { sendPart(pending.agentHeader, more: last >= 0) }
        for index in 0..<pending.body.count {
            _ = try? router.send(copyOfPart: index, of: pending.body, more: index < last, wait: true)
        }
        worker.lastSent = messageTime
        return true
    }

    /// Sends a reply (or a partial) to the client of `pending`, in the client's dialect.
    /// Returns false if the client is gone.
    @discardableResult
    func sendReply(to pending: PendingRequest, partial: Bool = false, header: ReplyHeader, body: ReplyBody) -> Bool {
        guard beginMessage(to: pending.client) else {
            statistics.repliesToVanishedClients += 1
            return false
        }
        sendClientPrologue(pending.clientDialect, partial: partial)
        let hasBody = !body.isEmpty
        switch header {
        case .none:
            sendPart(pending.service.nameBytes, more: hasBody)
        case .forward(let part):
            sendPart(pending.service.nameBytes)
            sendPart(part, more: hasBody)
        case .encoded(let bytes):
            sendPart(pending.service.nameBytes)
            sendPart(bytes, more: hasBody)
        }
        switch body {
        case .none:
            break
        case .bytes(let bytes):
            sendPart(bytes, more: false)
        case .parts(let parts):
            var remaining = parts.count
            for part in parts {
                remaining -= 1
                sendPart(part, more: remaining > 0)
            }
        }
        return true
    }

    /// Answers `pending` with `error`: a header for Colony clients, and a JSON error body
    /// for everyone (plain MDP clients read only that).
    func sendError(_ error: WireError, to pending: PendingRequest) {
        statistics.errorsByCode[error.code.rawValue, default: 0] += 1
        let header: ReplyHeader = pending.clientHeader.map {
            .encoded(ColonyHeader.failure(error, requestID: $0.fields.requestID).encoded())
        } ?? .none
        sendReply(to: pending, header: header, body: .bytes(error.jsonBody))
        pending.answered = true
        pending.service.metrics.refused(error.code, since: pending.arrivedAt, now: messageTime)
        logger.info("request failed", metadata: [
            "capability": "\(pending.service.name)", "code": "\(error.code)", "error": "\(error.message)",
            "correlation_id": "\(pending.clientHeader?.fields.correlationID ?? "-")",
        ])
    }

    /// Sends a small reply to a client that is not (yet) a PendingRequest: mmi answers.
    func sendDirectReply(to client: PeerID, dialect: Dialect, service: [UInt8], header: ColonyHeader?, body: [UInt8]) {
        sendDirectReply(to: client, dialect: dialect, service: service, header: header, frames: [body])
    }

    /// A reply of several body frames (at least one).
    func sendDirectReply(to client: PeerID, dialect: Dialect, service: [UInt8], header: ColonyHeader?, frames: [[UInt8]]) {
        guard beginMessage(to: client) else { return }
        sendClientPrologue(dialect, partial: false)
        sendPart(service)
        if let header { sendPart(header.encoded()) }
        for (index, frame) in frames.enumerated() { sendPart(frame, more: index < frames.count - 1) }
    }
}
