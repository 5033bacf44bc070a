import ColonyCore
import ColonyWire
import Foundation
import Testing
import ZeroMQ

@testable import ColonyBroker

/// A capability's queue: clients take turns, each client's requests keep their order, a retry
/// goes to the very front, expiry keeps the order of what stays, and the counts (its own and
/// the broker-wide totals) follow every change — also when clients' lanes empty and are reused.
@Suite struct FairQueueTests {
    let service = Service(name: "s", metricsLabel: "s", totals: QueueTotals())
    /// Each request's number in the test, by identity.
    final class Numbers { var byRequest: [ObjectIdentifier: UInt64] = [:] }
    let numbers = Numbers()
    let sender: Socket
    let receiver: Socket

    init() throws {
        let endpoint = "inproc://fair-queue-\(UUID().uuidString)"
        receiver = try Socket(.pull)
        try receiver.bind(endpoint)
        sender = try Socket(.push)
        try sender.connect(endpoint)
    }

    /// Request number `number` of `client` with a body of `size` bytes, received through a real socket.
    func request(_ number: UInt64, of client: UInt8, size: Int = 1, deadline: MonotonicTime = .now()) throws -> PendingRequest {
        try sender.send(message: [Frame([UInt8](repeating: client, count: size))], wait: true)
        let received = ReceivedMessage()
        _ = try receiver.receiveMessage(into: received, wait: true)
        let request = PendingRequest(
            client: PeerID(bytes: [client]), clientDialect: Dialect(version: .v02, delimited: false), clientHeader: nil,
            body: MessageParts.taking(received.parts[...]), service: service, arrivedAt: .now(), queueDeadline: deadline, clientDeadline: nil
        )
        numbers.byRequest[ObjectIdentifier(request)] = number
        return request
    }

    func number(of request: PendingRequest) -> UInt64 {
        numbers.byRequest[ObjectIdentifier(request)] ?? 0
    }

    func drain(_ queue: inout FairQueue) -> [UInt64] {
        var tokens: [UInt64] = []
        while let next = queue.first {
            let popped = queue.popFirst()
            #expect(popped === next, "first is what popFirst returns")
            tokens.append(number(of: next))
        }
        #expect(queue.popFirst() == nil)
        return tokens
    }

    @Test func clientsTakeTurnsAndEachKeepsItsOrder() throws {
        let totals = QueueTotals()
        var queue = FairQueue(totals: totals)
        // Client 1 pipelines five requests before clients 2 and 3 send one each.
        for token in 1...5 { queue.append(try request(UInt64(token), of: 1, size: 10)) }
        queue.append(try request(6, of: 2, size: 20))
        queue.append(try request(7, of: 3, size: 30))
        #expect(queue.count == 7 && queue.bytes == 100)
        #expect(totals.count == 7 && totals.bytes == 100)
        #expect(drain(&queue) == [1, 6, 7, 2, 3, 4, 5])
        #expect(queue.isEmpty && queue.bytes == 0)
        #expect(totals.count == 0 && totals.bytes == 0)
    }

    @Test func lanesEmptiedAndReusedKeepClientsApart() throws {
        var queue = FairQueue(totals: QueueTotals())
        // Many rounds in which clients come and go, so lanes empty and are handed to others.
        var expected: [UInt64] = []
        var token: UInt64 = 0
        for round in 0..<50 {
            let clients = (0..<UInt8(1 + round % 7)).map { UInt8(round % 3) * 10 + $0 }
            for client in clients {
                token += 1
                queue.append(try request(token, of: client))
            }
            // One request each: served in the order the clients arrived.
            expected = Array(token - UInt64(clients.count) + 1 ... token)
            #expect(drain(&queue) == expected, "round \(round)")
        }
        // Lanes left from the rounds above are reused: client 1's second request still waits
        // behind client 2's first.
        queue.append(try request(1_000, of: 1))
        queue.append(try request(1_001, of: 1))
        queue.append(try request(1_002, of: 2))
        #expect(drain(&queue) == [1_000, 1_002, 1_001])
    }

    @Test func aRetryGoesToTheVeryFront() throws {
        var queue = FairQueue(totals: QueueTotals())
        queue.append(try request(1, of: 1))
        queue.append(try request(2, of: 2))
        queue.append(try request(3, of: 2))
        queue.prepend(try request(9, of: 2))
        queue.prepend(try request(8, of: 3))
        #expect(queue.count == 5)
        #expect(drain(&queue) == [8, 9, 1, 2, 3])
    }

    @Test func expiryTakesWhatExpiredAndKeepsTheOrderOfTheRest() throws {
        let totals = QueueTotals()
        var queue = FairQueue(totals: totals)
        let now = MonotonicTime.now()
        let later = now + Duration.seconds(60)
        queue.append(try request(1, of: 1, size: 5, deadline: now))
        queue.append(try request(2, of: 1, size: 5, deadline: later))
        queue.append(try request(3, of: 2, size: 5, deadline: now))
        queue.append(try request(4, of: 3, size: 5, deadline: later))
        queue.append(try request(5, of: 1, size: 5, deadline: now))
        #expect(queue.earliestDeadline == now)
        let expired = queue.removeAll { $0.queueDeadline <= now }
        #expect(expired.map(number(of:)).sorted() == [1, 3, 5])
        #expect(queue.count == 2 && queue.bytes == 10 && totals.count == 2 && totals.bytes == 10)
        #expect(queue.earliestDeadline == later)
        // Client 2's lane emptied and left the rotation; a new request of its comes last.
        queue.append(try request(6, of: 2, size: 5, deadline: later))
        #expect(drain(&queue) == [2, 4, 6])
        #expect(queue.removeAll { _ in true }.isEmpty)
        #expect(totals.count == 0 && totals.bytes == 0)
    }
}
