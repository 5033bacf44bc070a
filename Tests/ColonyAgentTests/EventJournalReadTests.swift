import ColonyBroker
import ColonyTestSupport
import ColonyWire
import Foundation
import Logging
import Testing
@testable import ColonyAgent

/// `mmi.events.read` over real sockets: what a publisher sent, read back from a cursor, a read
/// that waits is answered by the next wanted event, and a directory journal outlives its broker.
@Suite(.serialized) struct EventJournalReadTests {
    func broker(journal: EventJournal? = nil) throws -> BrokerHandle {
        var logger = Logger(label: "broker")
        logger.logLevel = .critical
        var configuration = BrokerConfiguration(
            endpoints: BrokerEndpoints(requests: "tcp://127.0.0.1:0", publish: "tcp://127.0.0.1:0", subscribe: "tcp://127.0.0.1:0"),
            heartbeatInterval: .milliseconds(100)
        )
        configuration.gateRecovery = .zero
        return try Broker.start(configuration, journal: journal, logger: logger)
    }

    func publish(_ endpoints: BrokerEndpoints, _ events: [(String, String)]) async throws {
        let publisher = Publisher(endpoints: endpoints, credentials: nil)
        try await publisher.connect()
        #expect(try await publisher.waitUntilConnected(timeout: .seconds(10)))
        for (topic, payload) in events { try await publisher.publish(topic, payload: Array(payload.utf8)) }
        await publisher.close(linger: .seconds(2))
    }

    /// Reads until `count` wanted events came after `after` (they reach the broker a moment
    /// after the publisher sends them).
    func read(_ client: ColonyClient, journal: String?, after: UInt64, topics: [String], count: Int) async throws -> [(seq: UInt64, event: Event)] {
        var events: [(seq: UInt64, event: Event)] = []
        var cursor = after
        for _ in 0..<50 where events.count < count {
            let page = try await client.readJournal(JournalRead(journal: journal, after: cursor, topics: topics, waitMilliseconds: 200))
            events += page.events
            cursor = page.batch.through
        }
        return events
    }

    @Test func publishedEventsAreReadBackAfterACursorFilteredByTopic() async throws {
        let handle = try broker()
        defer { handle.stop() }
        let client = ColonyClient(endpoints: handle.endpoints)
        let first = try await client.readJournal(JournalRead(journal: nil, after: 0, topics: [""]))
        #expect(first.events.isEmpty && first.batch.newest == 0)
        try await publish(handle.endpoints, [("orders.new", #"{"n":1}"#), ("market.tick", "{}"), ("orders.new", #"{"n":2}"#)])
        let orders = try await read(client, journal: first.batch.journal, after: 0, topics: ["orders."], count: 2)
        #expect(orders.map(\.event.text) == [#"{"n":1}"#, #"{"n":2}"#] && orders.map(\.seq) == [1, 3], "\(orders)")
        #expect(orders.allSatisfy { $0.event.topic == "orders.new" })
        let later = try await client.readJournal(JournalRead(journal: first.batch.journal, after: 1, topics: [""]))
        #expect(later.events.map(\.seq) == [2, 3])
        let statistics = try await client.statistics(timeout: .generous)
        #expect(statistics.eventsJournaled == 3 && statistics.eventJournalDirectory == "memory" && statistics.eventJournal == first.batch.journal, "\(statistics)")
    }

    @Test func aWaitingReadIsAnsweredByTheNextWantedEvent() async throws {
        let handle = try broker()
        defer { handle.stop() }
        let client = ColonyClient(endpoints: handle.endpoints)
        let journal = try await client.readJournal(JournalRead(journal: nil, after: 0, topics: [""])).batch.journal
        // A read that may wait ten seconds, answered when the event comes, not when the wait ends.
        async let waiting = client.readJournal(JournalRead(journal: journal, after: 0, topics: ["orders."], waitMilliseconds: 10_000), timeout: .seconds(60))
        try await publish(handle.endpoints, [("orders.new", #"{"n":7}"#)])
        let answered = try await waiting
        #expect(answered.events.map(\.event.text) == [#"{"n":7}"#])
        // A malformed read is refused with what was expected.
        await #expect(throws: RequestError.self) { try await client.request(ManagementService.eventsRead, body: [Array("{".utf8)]) }
    }

    @Test func aDirectoryJournalOutlivesItsBroker() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-journal-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = EventJournalSettings(location: .directory(directory))
        var journalID = ""
        do {
            let handle = try broker(journal: try EventJournal.open(settings))
            let client = ColonyClient(endpoints: handle.endpoints)
            try await publish(handle.endpoints, [("orders.new", #"{"n":1}"#), ("orders.new", #"{"n":2}"#)])
            journalID = try await client.readJournal(JournalRead(journal: nil, after: 0, topics: [""])).batch.journal
            #expect(try await read(client, journal: journalID, after: 0, topics: [""], count: 2).count == 2)
            handle.stop()
            await handle.waitUntilStopped()
        }
        // The stopped broker's objects give the directory's lock up when they are freed, a
        // moment after it stopped.
        var reopened: EventJournal?
        for _ in 0..<200 where reopened == nil {
            reopened = try? EventJournal.open(settings)
            if reopened == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let handle = try broker(journal: try #require(reopened))
        defer { handle.stop() }
        let page = try await ColonyClient(endpoints: handle.endpoints).readJournal(JournalRead(journal: journalID, after: 1, topics: [""]))
        #expect(page.batch.journal == journalID && page.events.map(\.event.text) == [#"{"n":2}"#])
    }
}
