import ColonyEngine
import ColonyStore
import Foundation
import Synchronization
import Testing

/// Two orchestrators on one database, each with its own clock: the test freezes one (as
/// SIGSTOP would) while the other's time runs, and checks who is active when.
@Suite struct OrchestratorLeaseTests {
    final class Events: Sendable {
        private let list = Mutex<[String]>([])
        func add(_ event: String) { list.withLock { $0.append(event) } }
        var all: [String] { list.withLock { $0 } }
    }

    @Test func aStalledHolderIsReplacedAfterOneLeaseAndStepsDownWhenItWakes() async throws {
        let fixture = try EngineFixture { _ in .ok() }
        defer { fixture.remove() }
        let events = Events()
        let t0 = fixture.clock.now
        let clockA = ManualClock(start: t0), clockB = ManualClock(start: t0)
        func keeper(_ name: String, _ clock: ManualClock) -> Task<Void, Never> {
            let lease = OrchestratorLease(store: fixture.store, holder: name, duration: .seconds(6), clock: clock, logger: EngineFixture.logger)
            return Task {
                await lease.run { term in
                    events.add("\(name) active \(term)")
                    // Serves until cancelled: the lease was lost, or the orchestrator is stopping.
                    // (Not on the test's clock: only the lease loop sleeps there.)
                    try? await Task.sleep(for: .seconds(86_400))
                    events.add("\(name) stopped \(term)")
                }
            }
        }
        let a = keeper("a", clockA)
        await clockA.waitForSleeper(until: t0.addingTimeInterval(2))
        let b = keeper("b", clockB)
        await clockB.waitForSleeper(until: t0.addingTimeInterval(2))
        #expect(events.all == ["a active 1"])

        // a renews on time for a while; b stays on standby.
        await clockA.run(until: t0.addingTimeInterval(4))
        await clockB.run(until: t0.addingTimeInterval(8))
        #expect(events.all == ["a active 1"])

        // a freezes at t0+4 (renewed until t0+10); b takes over once that has passed.
        await clockB.run(until: t0.addingTimeInterval(9.9))
        #expect(events.all == ["a active 1"])
        await clockB.run(until: t0.addingTimeInterval(12))
        #expect(events.all == ["a active 1", "b active 2"])

        // a wakes up: its next renewal is refused, and it steps down without acting again.
        await clockA.run(until: t0.addingTimeInterval(12))
        #expect(events.all == ["a active 1", "b active 2", "a stopped 1"])

        // b shuts down gracefully and releases: a takes over without waiting for a lapse.
        b.cancel()
        await b.value
        await clockA.run(until: t0.addingTimeInterval(14))
        #expect(events.all == ["a active 1", "b active 2", "a stopped 1", "b stopped 2", "a active 3"])
        a.cancel()
        await a.value
    }
}
