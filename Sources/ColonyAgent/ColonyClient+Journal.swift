import ColonyWire
import Foundation
import ZeroMQ

/// Events read from the broker's journal, each with its sequence number.
public struct JournalPage: Sendable {
    public var batch: JournalBatch
    public var events: [(seq: UInt64, event: Event)]
}

extension ColonyClient {
    /// Reads the broker's event journal (`mmi.events.read`) after a cursor: what a subscriber
    /// that was down missed, as long as the journal still keeps it. The request waits up to
    /// `read.waitMilliseconds` for a wanted event, so the timeout must be longer than that.
    public func readJournal(_ read: JournalRead, timeout: Duration = .seconds(15)) async throws(RequestError) -> JournalPage {
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(read))
        } catch {
            throw .invalidInput("\(error)")
        }
        let reply = try await request(ManagementService.eventsRead, body: [body], timeout: timeout)
        guard let head = reply.body.first else { throw .invalidReply("an empty journal batch") }
        let batch = try Reply(header: nil, body: [head]).decode(JournalBatch.self)
        var events: [(UInt64, Event)] = []
        var index = 1
        for listed in batch.events {
            guard listed.frames >= 1, index + listed.frames <= reply.body.count,
                  let event = Event(parts: Array(reply.body[index..<(index + listed.frames)])) else {
                throw .invalidReply("journal batch frames do not match its list (event \(listed.seq))")
            }
            events.append((listed.seq, event))
            index += listed.frames
        }
        return JournalPage(batch: batch, events: events)
    }
}

extension Event {
    /// Parses `[topic, header?, payload...]` given as bytes; nil if the topic is not UTF-8.
    init?(parts: [[UInt8]]) {
        self.init(frames: parts.map { Frame($0) })
    }
}
