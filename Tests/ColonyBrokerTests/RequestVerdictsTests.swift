import Testing

@testable import ColonyBroker

/// The broker's remembered access verdicts: each pair decided once, never more than the
/// capacity kept, and all forgotten when the access list changes.
@Suite struct RequestVerdictsTests {
    @Test func verdictsAreDecidedOnceAndNeverExceedTheCapacity() {
        var verdicts = RequestVerdicts(capacity: 100)
        var decisions = 0
        func ask(_ key: String, _ capability: String) -> Bool {
            verdicts.verdict(key: key, capability: capability) {
                decisions += 1
                return capability.hasPrefix("ok.")
            }
        }
        #expect(ask("alice", "ok.1") && !ask("alice", "no.1"))
        #expect(ask("alice", "ok.1") && !ask("alice", "no.1"))
        #expect(decisions == 2, "a remembered verdict is not decided again")
        for index in 0..<1_000 {
            #expect(ask(index.isMultiple(of: 2) ? "alice" : "bob", index.isMultiple(of: 3) ? "ok.\(index)" : "no.\(index)")
                    == index.isMultiple(of: 3))
            #expect(verdicts.count <= 100)
        }
        verdicts.removeAll()
        #expect(verdicts.count == 0)
        #expect(ask("alice", "ok.1") && decisions == 1_003, "forgotten verdicts are decided again")
    }
}
