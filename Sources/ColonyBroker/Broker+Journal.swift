import ColonyCore
import ColonyWire
import Foundation
import ZeroMQ

/// A journal read waiting (up to its deadline) for an event it wants.
struct ParkedRead {
    let client: PeerID
    let dialect: Dialect
    let header: ColonyHeader?
    let read: JournalRead
    let deadline: MonotonicTime
}

extension Broker {
    /// The most journal reads waiting at once; a read past it is answered at once.
    static let maximumParkedReads = 1_000

    /// Answers `mmi.events.read`: at once when wanted events (or only unwanted ones) follow the
    /// reader's cursor or it would not wait, otherwise when one comes or its wait ends.
    func readJournal(client: PeerID, dialect: Dialect, header: ColonyHeader?, body: Slice<ReceivedParts>) {
        let replyHeader = header.map { ColonyHeader(requestID: $0.requestID) }
        guard let request = try? JSONDecoder().decode(JournalRead.self, from: Data(body.map(\.bytes).joined())),
              let read = request.bounded else {
            let error = WireError(.badRequest, "expected a JournalRead: {\"journal\":…,\"after\":N,\"topics\":[prefix…] "
                                  + "(at most \(JournalRead.maximumTopics), each at most \(JournalRead.maximumTopicBytes) bytes),"
                                  + "\"limit\":N,\"waitMilliseconds\":N}")
            statistics.errorsByCode[error.code.rawValue, default: 0] += 1
            sendDirectReply(to: client, dialect: dialect, service: Array(ManagementService.eventsRead.utf8),
                            header: header.map { ColonyHeader.failure(error, requestID: $0.requestID) }, body: error.jsonBody)
            return
        }
        let answer = journal.read(read)
        let waits = read.waitMilliseconds > 0 && answer.batch.events.isEmpty && answer.batch.through == max(read.after, answer.batch.oldest &- 1)
            && read.journal == journal.id && parkedReads.count < Self.maximumParkedReads
        guard waits else {
            sendJournalBatch(answer, to: client, dialect: dialect, header: replyHeader)
            return
        }
        parkedReads.append(ParkedRead(client: client, dialect: dialect, header: replyHeader, read: read,
                                      deadline: MonotonicTime.now() + .milliseconds(read.waitMilliseconds)))
    }

    /// Answers the parked reads that have an event now or waited long enough (every tick).
    func answerParkedReads(now: MonotonicTime) {
        guard !parkedReads.isEmpty else { return }
        let newest = journal.newest
        parkedReads.removeAll { parked in
            guard newest > parked.read.after || parked.deadline <= now else { return false }
            let answer = journal.read(parked.read)
            guard !answer.batch.events.isEmpty || answer.batch.through > parked.read.after || parked.deadline <= now else { return false }
            sendJournalBatch(answer, to: parked.client, dialect: parked.dialect, header: parked.header)
            return true
        }
    }

    private func sendJournalBatch(_ answer: (batch: JournalBatch, frames: [[UInt8]]), to client: PeerID, dialect: Dialect, header: ColonyHeader?) {
        let head = (try? JSONEncoder().encode(answer.batch)).map { Array($0) } ?? Array("{}".utf8)
        sendDirectReply(to: client, dialect: dialect, service: Array(ManagementService.eventsRead.utf8), header: header,
                        frames: [head] + answer.frames)
    }
}
