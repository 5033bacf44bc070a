import ColonyCore
import ColonyWire
import Testing
import ZeroMQ

@testable import ColonyBroker

/// Held requests found by token: a token finds its request while it is held and never after,
/// not even once its slot holds another request or the table has shrunk after a burst; a
/// token an agent made up finds nothing.
@Suite struct InFlightTableTests {
    let service = Service(name: "s", metricsLabel: "s", totals: QueueTotals())

    func request() -> PendingRequest {
        PendingRequest(
            client: PeerID(bytes: [1]), clientDialect: Dialect(version: .v02, delimited: false), clientHeader: nil,
            body: MessageParts.taking(ReceivedMessage().parts[...]), service: service, arrivedAt: .now(), queueDeadline: .now(),
            clientDeadline: nil
        )
    }

    @Test func aTokenFindsItsRequestOnlyWhileItIsHeld() {
        var table = InFlightTable()
        let first = request(), second = request()
        let firstToken = table.insert(first), secondToken = table.insert(second)
        #expect(firstToken != secondToken)
        #expect(table[firstToken] === first && table[secondToken] === second && table.count == 2)
        #expect(table.remove(firstToken) === first)
        #expect(table[firstToken] == nil && table.remove(firstToken) == nil && table.count == 1)
        // The freed slot is reused, under a token of its own.
        let third = request()
        let thirdToken = table.insert(third)
        #expect(thirdToken & 0xFFFF_FFFF == firstToken & 0xFFFF_FFFF, "the slot is reused")
        #expect(table[firstToken] == nil, "the old token does not find the slot's new request")
        #expect(table[thirdToken] === third)
        #expect(Set(table.requests.map(ObjectIdentifier.init)) == [ObjectIdentifier(second), ObjectIdentifier(third)])
    }

    @Test func madeUpTokensFindNothing() {
        var table = InFlightTable()
        let token = table.insert(request())
        for madeUp: UInt64 in [0, 1, .max, token ^ 1, token ^ (1 << 32), token + (1 << 40), UInt64(UInt32.max)] {
            #expect(table[madeUp] == nil, "\(madeUp)")
            #expect(table.remove(madeUp) == nil)
        }
        #expect(table.count == 1)
    }

    @Test func afterABurstTheTableShrinksAndOldTokensStayStale() {
        var table = InFlightTable()
        let burst = (0..<5_000).map { _ in request() }
        let tokens = burst.map { table.insert($0) }
        for token in tokens { #expect(table.remove(token) != nil) }
        #expect(table.count == 0 && table.requests.isEmpty)
        let next = request()
        let nextToken = table.insert(next)
        #expect(nextToken & 0xFFFF_FFFF == 0, "the table started again from its first slot")
        #expect(tokens.allSatisfy { table[$0] == nil })
        #expect(table[nextToken] === next)
    }
}
