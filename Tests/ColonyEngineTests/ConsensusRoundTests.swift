@testable import ColonyEngine
import ColonyWire
import Testing

/// A reproducible random source for the property tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ConsensusRoundTests {
    func electorate(_ count: Int) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("m\($0)", 1.0) })
    }

    @Test func majorityDecidesAsSoonAsItCanAndCountsWhatItIgnores() {
        var round = ConsensusRound(id: "r1", rule: .majority, electorate: electorate(5))
        #expect(round.receive(Vote(.yes), from: "m0", round: "r1") == nil)
        #expect(round.receive(Vote(.yes), from: "m0", round: "r1") == nil, "a duplicate")
        #expect(round.receive(Vote(.yes), from: "stranger", round: "r1") == nil)
        #expect(round.receive(Vote(.yes), from: "m1", round: "r0") == nil, "another round")
        #expect(round.receive(Vote(.yes), from: "m1", round: "r1") == nil)
        #expect(round.receive(Vote(.yes), from: "m2", round: "r1") == .approved, "3 of 5")
        #expect(round.receive(Vote(.no), from: "m3", round: "r1") == nil, "late")
        #expect(round.close() == .approved)
        #expect(round.ignored == [.duplicate: 1, .nonMember: 1, .staleRound: 1, .late: 1])
    }

    @Test func absentSeatsCountAsNotVoting() {
        var seats = electorate(2)
        for number in 1...3 { seats[ConsensusRound.absentSeat(number)] = 1 }
        var round = ConsensusRound(id: "r", rule: .majority, electorate: seats)
        #expect(round.receive(Vote(.yes), from: "m0", round: "r") == nil)
        #expect(round.receive(Vote(.yes), from: "m1", round: "r") == nil, "2 of 5 is no majority")
        #expect(round.receive(Vote(.yes), from: ConsensusRound.absentSeat(1), round: "r") == nil)
        #expect(round.close() == .noQuorum)
        #expect(ConsensusRound.isAbsentSeat(ConsensusRound.absentSeat(4)) && !ConsensusRound.isAbsentSeat("voter-1"))
    }

    @Test func twoOfFiveDeadStillDecideThreeDeadIsNoQuorum() {
        var live3 = ConsensusRound(id: "r", rule: .majority, electorate: electorate(5))
        for member in ["m0", "m1"] { live3.receive(Vote(.yes), from: member, round: "r") }
        live3.receive(Vote(.no), from: "m2", round: "r")
        #expect(live3.close() == .timeout, "3 voted, 2 yes of 5 is not a majority")
        var live3yes = ConsensusRound(id: "r", rule: .majority, electorate: electorate(5))
        for member in ["m0", "m1", "m2"] { live3yes.receive(Vote(.yes), from: member, round: "r") }
        #expect(live3yes.decision == .approved)
        var live2 = ConsensusRound(id: "r", rule: .majority, electorate: electorate(5))
        for member in ["m0", "m1"] { live2.receive(Vote(.yes), from: member, round: "r") }
        #expect(live2.close() == .noQuorum)
    }

    @Test func unanimousAndWeightedRules() {
        var unanimous = ConsensusRound(id: "r", rule: .unanimous, electorate: electorate(3))
        unanimous.receive(Vote(.yes), from: "m0", round: "r")
        #expect(unanimous.receive(Vote(.no), from: "m1", round: "r") == .rejected)
        var weighted = ConsensusRound(id: "r", rule: .weighted(threshold: 0.6), electorate: ["a": 3, "b": 1, "c": 1])
        #expect(weighted.receive(Vote(.yes), from: "a", round: "r") == .approved, "3 of 5 weight reaches 0.6")
    }

    /// Randomized rounds with drops, duplicates, reordering, stale rounds and strangers: exactly
    /// one decision, never changed, consistent with the counted ballots, everything else counted.
    @Test func propertiesHoldOverManyRandomRounds() {
        var random = SplitMix64(state: 0xC0_10_4E)
        for iteration in 0..<2000 {
            let size = Int.random(in: 1...9, using: &random)
            let rules: [ConsensusRound.Rule] = [.majority, .unanimous, .weighted(threshold: Double.random(in: 0.5...0.9, using: &random))]
            let rule = rules[iteration % 3]
            var round = ConsensusRound(id: "round", rule: rule, electorate: electorate(size))
            var events: [(member: String, vote: Vote, round: String)] = []
            for index in 0..<size where Double.random(in: 0...1, using: &random) > 0.3 {
                let vote = Vote(Bool.random(using: &random) ? .yes : .no)
                events.append(("m\(index)", vote, "round"))
                if Double.random(in: 0...1, using: &random) < 0.3 { events.append(("m\(index)", Vote(.yes), "round")) }
            }
            if Bool.random(using: &random) { events.append(("stranger", Vote(.yes), "round")) }
            if Bool.random(using: &random) { events.append(("m0", Vote(.yes), "older-round")) }
            events.shuffle(using: &random)

            var decisions: [ConsensusRound.Decision] = []
            for event in events {
                if let decided = round.receive(event.vote, from: event.member, round: event.round) { decisions.append(decided) }
            }
            let final = round.close()
            #expect(decisions.count <= 1, "a round decides once")
            if let early = decisions.first { #expect(final == early, "a decision never changes") }
            #expect(round.close() == final)
            let members = round.ballots.map(\.member)
            #expect(Set(members).count == members.count && members.allSatisfy { round.electorate[$0] != nil })
            let ignoredTotal = round.ignored.values.reduce(0, +)
            #expect(ignoredTotal + round.ballots.count == events.count, "every vote counted or counted as ignored")
            let yes = round.ballots.filter { $0.vote.vote == .yes }.count, no = round.ballots.count - yes
            switch final {
            case .approved:
                switch rule {
                case .majority: #expect(Double(yes) > Double(size) / 2)
                case .unanimous: #expect(yes == size)
                case .weighted(let threshold): #expect(Double(yes) >= threshold * Double(size))
                }
            case .rejected:
                #expect(no > 0)
            case .noQuorum:
                #expect(round.ballots.count * 2 <= size)
            case .timeout:
                #expect(round.ballots.count * 2 > size)
            }
        }
    }
}
