@testable import ColonyEngine
import ColonyWire
import Testing

@Suite struct AuctionRoundTests {
    @Test func theCheapestOnTimeBidWinsTiesGoToTheLowestInstance() {
        var round = AuctionRound(index: 1, members: ["c", "b", "a"], preference: .lowest)
        round.receive(Bid(cost: 5), from: "c")
        round.receive(Bid(cost: 3), from: "b")
        round.receive(Bid.refusal("busy"), from: "a")
        round.receive(Bid(cost: 1), from: "stranger")
        #expect(round.close() == .awarded("b"))
        round.receive(Bid(cost: 0), from: "a")
        #expect(round.winner == "b" && round.ignored == 2, "a refused already; the stranger is not a member")
        var tie = AuctionRound(index: 1, members: ["y", "x"], preference: .lowest)
        tie.receive(Bid(cost: 2), from: "y")
        tie.receive(Bid(cost: 2), from: "x")
        #expect(tie.close() == .awarded("x"))
        var late = AuctionRound(index: 1, members: ["p", "q"], preference: .highest)
        late.receive(Bid(cost: 1), from: "p")
        #expect(late.close() == .awarded("p"))
        late.receive(Bid(cost: 9), from: "q")
        #expect(late.winner == "p" && late.late == ["q"], "a bid after the deadline is late and never wins")
        var empty = AuctionRound(index: 1, members: ["p"], preference: .lowest)
        empty.receive(Bid.refusal("no"), from: "p")
        #expect(empty.close() == .noBids)
    }

    /// Randomized rounds: the winner is always the best on-time bid (deterministic tie-break),
    /// late bids never win, and NO_BIDS exactly when nobody bid in time.
    @Test func propertiesHoldOverManyRandomRounds() {
        var random = SplitMix64(state: 0xB1D5)
        for _ in 0..<2000 {
            let members = (0..<Int.random(in: 1...7, using: &random)).map { "m\($0)" }
            let preference: AuctionRound.Preference = Bool.random(using: &random) ? .lowest : .highest
            var round = AuctionRound(index: 1, members: members, preference: preference)
            var onTime: [String: Double] = [:]
            var events: [(String, Bid, Bool)] = []
            for member in members {
                switch Int.random(in: 0..<4, using: &random) {
                case 0: events.append((member, Bid.refusal("no"), false))
                case 1: events.append((member, Bid(cost: Double(Int.random(in: 1...5, using: &random))), true))
                case 2: events.append((member, Bid(cost: Double(Int.random(in: 1...5, using: &random))), false))
                default: break
                }
            }
            events.shuffle(using: &random)
            for (member, bid, _) in events.filter({ $0.2 }) {
                round.receive(bid, from: member)
                if round.offers.contains(where: { $0.member == member }) { onTime[member] = bid.cost }
                round.receive(bid, from: member)
            }
            for (member, bid, _) in events.filter({ !$0.2 && $0.1.refuse == true }) { round.receive(bid, from: member) }
            let outcome = round.close()
            for (member, bid, _) in events.filter({ !$0.2 && $0.1.refuse != true }) { round.receive(bid, from: member) }
            if onTime.isEmpty {
                #expect(outcome == .noBids)
            } else {
                let best = preference == .lowest ? onTime.values.min()! : onTime.values.max()!
                let expected = onTime.filter { $0.value == best }.keys.sorted().first!
                #expect(outcome == .awarded(expected))
            }
            #expect(round.winner.map { onTime[$0] != nil } ?? true, "a late bid never wins")
        }
    }
}
