import ColonyCore
import ColonyWire
import Foundation
import Testing
import ZeroMQ

@testable import ColonyBroker

/// Waiting requests keep their bodies in libzmq's receive buffers only up to the budget; the
/// rest get copies. A request gives its place back when it goes, however it goes.
@Suite struct ReceiveBufferBudgetTests {
    /// A request whose body came through a real socket, as the broker's do.
    func request(body: [UInt8]) throws -> PendingRequest {
        let endpoint = "inproc://budget-\(UUID().uuidString)"
        let receiver = try Socket(.pull)
        try receiver.bind(endpoint)
        let sender = try Socket(.push)
        try sender.connect(endpoint)
        try sender.send(message: [Frame(body)], wait: true)
        let received = ReceivedMessage()
        _ = try receiver.receiveMessage(into: received, wait: true)
        return PendingRequest(
            client: PeerID(bytes: [1]), clientDialect: Dialect(version: .v02, delimited: false), clientHeader: nil,
            body: MessageParts.taking(received.parts[...]), service: Service(name: "s", metricsLabel: "s", totals: QueueTotals()), arrivedAt: .now(),
            queueDeadline: .now(), clientDeadline: nil
        )
    }

    @Test func placesAreTakenUpToTheLimitAndGivenBackWhenRequestsGo() throws {
        let budget = ReceiveBufferBudget(limit: 2)
        var waiting = try (1...3).map { try request(body: Array(repeating: UInt8($0), count: 100)) }
        for pending in waiting { pending.prepareToWait(budget) }
        #expect(budget.inUse == 2, "the third request got a copy instead")
        waiting[0].prepareToWait(budget)
        #expect(budget.inUse == 2, "a request waiting again takes no second place")
        for (index, pending) in waiting.enumerated() {
            #expect(pending.body.withBytes(ofPart: 0) { Array($0) } == Array(repeating: UInt8(index + 1), count: 100))
        }
        waiting.removeFirst()
        #expect(budget.inUse == 1)
        waiting.removeAll()
        #expect(budget.inUse == 0)
        let next = try request(body: [4])
        next.prepareToWait(budget)
        #expect(budget.inUse == 1, "freed places are taken again")
    }
}
