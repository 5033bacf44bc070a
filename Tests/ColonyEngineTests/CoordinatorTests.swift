import ColonyCore
@testable import ColonyEngine
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Testing

/// The coordinator in-process: a real store, a scripted group and a manual clock. Leases,
/// vote and bid deadlines are checked at the exact moments the test moves time to.
@Suite struct CoordinatorTests {
    struct Fixture {
        let directory: URL
        let store: SQLiteWorkflowStore
        let clock: ManualClock
        let group: ScriptedGroup
        let coordinator: Coordinator

        init(members: [InstanceID], lease: Duration = .seconds(3), clock: ManualClock = ManualClock(), answer: ScriptedGroup.Answer? = nil) throws {
            self.clock = clock
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-coordinator-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            store = try SQLiteWorkflowStore(path: directory.appendingPathComponent("colony.sqlite").path)
            group = answer.map { ScriptedGroup(members: members, answer: $0) } ?? ScriptedGroup(members: members)
            coordinator = Coordinator(store: store, bus: group, clock: clock, leaseDuration: lease,
                                      logger: EngineFixture.logger)
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }

        /// Announcements of `group`'s leadership, oldest first.
        func leaderships(_ name: String) -> [Leadership] {
            group.published.filter { $0.topic == Topics.leadershipPrefix + name || $0.topic == Topics.leaseRenewalPrefix + name }.compactMap {
                try? JSONDecoder().decode(Leadership.self, from: Data($0.body.jsonText.utf8))
            }
        }
    }

    /// The order of one attempt of the coordinated step in `yaml`.
    static func order(_ yaml: String, attempt: Int = 1) throws -> DispatchOrder {
        var parser = WorkflowParser()
        let definition = try #require(parser.parse(yaml, file: "test.yaml").first, "\(parser.errors)")
        let step = try #require(definition.steps.first)
        return DispatchOrder(run: "run-1", step: step.id, capability: step.capability, attempt: attempt, idempotencyKey: "run-1/\(step.id)/\(attempt)",
                             input: .object(["amount": .number(10)]), timeout: step.timeout ?? .seconds(30), coordination: step.coordination)
    }

    @Test func aPresentLeaderIsRenewedAndAGoneOneIsReplacedOnlyWhenItsLeaseLapses() async throws {
        let fixture = try Fixture(members: ["b-2", "a-1"])
        defer { fixture.remove() }
        let t0 = fixture.clock.now
        let first = try #require(try await fixture.coordinator.leader(of: "workers"))
        #expect(first.leader == "a-1" && first.term == 1)

        fixture.clock.advance(by: .seconds(1))
        await fixture.coordinator.tick("workers")
        let renewed = try #require(try await fixture.coordinator.storedLeadership(of: "workers"))
        #expect(renewed.term == 1 && renewed.expiresAtMilliseconds == UInt64(t0.addingTimeInterval(4).timeIntervalSince1970 * 1000))

        // The leader vanishes: its lease (until t0+4s) still holds, nobody else may lead yet.
        fixture.group.setMembers(["b-2"])
        fixture.clock.advance(to: t0.addingTimeInterval(3.9))
        await fixture.coordinator.tick("workers")
        #expect(try await fixture.coordinator.storedLeadership(of: "workers")?.leader == "a-1")

        fixture.clock.advance(to: t0.addingTimeInterval(4))
        await fixture.coordinator.tick("workers")
        let next = try #require(try await fixture.coordinator.storedLeadership(of: "workers"))
        #expect(next.leader == "b-2" && next.term == 2)
        #expect(fixture.leaderships("workers").map(\.term) == [1, 1, 2], "every change and renewal is announced")
        let topics = fixture.group.published.map(\.topic).filter { $0.hasSuffix(".workers") }
        #expect(topics == ["coordination.leader.workers", "coordination.lease.workers", "coordination.leader.workers"],
                "changes on coordination.leader, renewals of the same leadership on coordination.lease")
    }

    @Test func aResignedLeaderIsReplacedAtOnceUnderTheNextTerm() async throws {
        let fixture = try Fixture(members: ["a-1", "b-2"])
        defer { fixture.remove() }
        _ = try await fixture.coordinator.leader(of: "workers")
        #expect(try await fixture.coordinator.resign(group: "workers", instance: "b-2") == nil, "only the leader can resign")
        let after = try #require(try await fixture.coordinator.resign(group: "workers", instance: "a-1"))
        #expect(after.leader == "b-2" && after.term == 2)
    }

    @Test func theLeaseLoopRunsOnTheClock() async throws {
        let fixture = try Fixture(members: ["a-1"], lease: .seconds(3))
        defer { fixture.remove() }
        let t0 = fixture.clock.now
        await fixture.coordinator.track(["workers"])
        let coordinator = fixture.coordinator
        let loop = Task { await coordinator.run() }
        // Each pass sleeps a third of the lease; three passes renew three times.
        for pass in 1...3 {
            await fixture.clock.waitForSleeper(until: t0.addingTimeInterval(Double(pass)))
            fixture.clock.advance(to: t0.addingTimeInterval(Double(pass)))
        }
        await fixture.clock.waitForSleeper(until: t0.addingTimeInterval(4))
        loop.cancel()
        await loop.value
        #expect(fixture.leaderships("workers").map(\.term) == [1, 1, 1, 1])
        #expect(fixture.leaderships("workers").last?.expiresAtMilliseconds == UInt64(t0.addingTimeInterval(6).timeIntervalSince1970 * 1000))
    }

    @Test func aConsensusRoundClosesAtTheAttemptDeadlineCountingSilenceAsNotVoting() async throws {
        let clock = ManualClock()
        let fixture = try Fixture(members: ["a-1", "b-2"], clock: clock) { request throws(StepError) in
            // a-1 approves at once; b-2 would approve after a minute.
            try await answering(JSONValue(encoding: Vote(.yes)), after: request.instance == "a-1" ? .zero : .seconds(60), on: clock, request)
        }
        defer { fixture.remove() }
        let t0 = clock.now
        let order = try Self.order("""
        name: vote
        steps:
          - {id: decide, capability: approve, timeout: 5s, coordination: {mode: consensus, group: approve, rule: majority, electorate: 3}}
        """)
        let outcome = Task { await fixture.coordinator.consensus(order) }
        await clock.waitForSleeper(until: t0.addingTimeInterval(5))
        clock.advance(by: .seconds(5))
        guard case .failed(let error, _) = await outcome.value else {
            Issue.record("one yes of three seats cannot carry a majority")
            return
        }
        #expect(error.code == "no_quorum")
        let round = try #require(try await fixture.store.round(order.idempotencyKey))
        #expect(round.decision == "no_quorum" && round.decidedAt == t0.addingTimeInterval(5))
        #expect(fixture.group.published.map(\.topic) == [Topics.decidedPrefix + "approve"])
    }

    @Test func aConsensusRoundDecidesAsSoonAsTheMajorityIsInWithoutWaitingForTheDeadline() async throws {
        let clock = ManualClock()
        let fixture = try Fixture(members: ["a-1", "b-2", "c-3"], clock: clock) { request throws(StepError) in
            try await answering(JSONValue(encoding: Vote(.yes)), after: request.instance == "c-3" ? .seconds(600) : .seconds(2), on: clock, request)
        }
        defer { fixture.remove() }
        let t0 = clock.now
        let order = try Self.order("""
        name: vote
        steps:
          - {id: decide, capability: approve, timeout: 30s, coordination: {mode: consensus, group: approve, rule: majority, electorate: 3}}
        """)
        let outcome = Task { await fixture.coordinator.consensus(order) }
        await clock.waitForSleeper(until: t0.addingTimeInterval(2))
        clock.advance(by: .seconds(2))
        guard case .succeeded(let output, _) = await outcome.value else {
            Issue.record("two yes of three is a majority")
            return
        }
        #expect(output.value(at: ["decision"]) == .string("approved"))
        #expect(clock.now == t0.addingTimeInterval(2))
    }

    @Test func anAuctionIgnoresBidsAfterItsDeadlineAndAwardsTheBestOnTimeBid() async throws {
        let clock = ManualClock()
        let fixture = try Fixture(members: ["a-1", "b-2"], clock: clock) { request throws(StepError) in
            if request.capability.hasSuffix(".bid") {
                // b-2 is cheaper but bids after the 2 s deadline (its bid still arrives, late).
                let (cost, delay): (Double, Duration) = request.instance == "a-1" ? (5, .seconds(1)) : (1, .milliseconds(2200))
                return try await answering(JSONValue(encoding: Bid(cost: cost)), after: delay, on: clock, request)
            }
            return MemberReply(body: .object(["rendered": .string(request.instance.rawValue)]), agent: request.instance.rawValue)
        }
        defer { fixture.remove() }
        let t0 = clock.now
        let order = try Self.order("""
        name: render
        steps:
          - {id: render, capability: render, coordination: {mode: auction, group: render, bid_deadline: 2s, rounds: 2}}
        """)
        let outcome = Task { await fixture.coordinator.auction(order) }
        for moment in [1, 2, 2.2] as [Double] {
            await clock.waitForSleeper(until: t0.addingTimeInterval(moment))
            clock.advance(to: t0.addingTimeInterval(moment))
        }
        guard case .succeeded(let output, _) = await outcome.value else {
            Issue.record("a-1 bid on time")
            return
        }
        #expect(output.value(at: ["winner"]) == .string("a-1"))
        #expect(output.value(at: ["result", "rendered"]) == .string("a-1"))
        #expect(fixture.group.published.map(\.topic) == [Topics.awardPrefix + "render"])
    }

    @Test func anAuctionWithoutBidsEndsWithNoBidsAtItsDeadline() async throws {
        let clock = ManualClock()
        let fixture = try Fixture(members: ["a-1"], clock: clock) { request throws(StepError) in
            try await answering(.null, after: .seconds(3600), on: clock, request)
        }
        defer { fixture.remove() }
        let t0 = clock.now
        let order = try Self.order("""
        name: render
        steps:
          - {id: render, capability: render, coordination: {mode: auction, group: render, bid_deadline: 2s}}
        """)
        let outcome = Task { await fixture.coordinator.auction(order) }
        // The deadline closes the round; the request itself gives up a grace later.
        await clock.waitForSleeper(until: t0.addingTimeInterval(2))
        clock.advance(to: t0.addingTimeInterval(2.3))
        guard case .failed(let error, _) = await outcome.value else {
            Issue.record("nobody bid")
            return
        }
        #expect(error.code == "no_bids")
    }
}
