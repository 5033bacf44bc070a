import ColonyCore
import Testing
@testable import ColonyAgent

/// The agent's reading of the orchestrator's clock, driven by explicit times.
@Suite struct LeaseClockTests {
    let wall: UInt64 = 1_800_000_000_000
    func local(_ milliseconds: UInt64) -> MonotonicTime { MonotonicTime(nanoseconds: milliseconds * 1_000_000) }

    @Test func aLeaseIsLapsedOnlyWhenCertainlyOver() {
        var clock = LeaseClock()
        #expect(clock.lapsed(wall, now: local(10_000)) == nil, "no samples: cannot tell")
        // Sent at remote `wall`, received at local 10,000 ms (after some unknown delay).
        clock.note(sentAt: wall, now: local(10_000), wallNow: wall)
        // 5 s later (local), the remote clock reads at least wall + 5 s (minus drift).
        #expect(clock.lapsed(wall + 4_000, now: local(15_000)).map { $0 > 990 && $0 <= 1_000 } == true)
        #expect(clock.lapsed(wall + 6_000, now: local(15_000)) == nil, "may still hold")
        // A later sample with a larger delay does not loosen the bound; a smaller one tightens it.
        clock.note(sentAt: wall + 1_000, now: local(11_500), wallNow: wall)
        #expect(clock.lapsed(wall + 4_000, now: local(15_000)).map { $0 > 990 } == true)
    }

    @Test func aStalledAgentStillSeesTheLeaseLapse() {
        var clock = LeaseClock()
        clock.note(sentAt: wall, now: local(10_000), wallNow: wall)
        // A request sent at wall + 100 with a lease to wall + 900 is read 30 s later (SIGSTOP).
        clock.note(sentAt: wall + 100, now: local(40_000), wallNow: wall)
        #expect(clock.lapsed(wall + 900, now: local(40_000)).map { $0 > 29_000 } == true)
    }

    @Test func implausibleStampsAreIgnored() {
        var clock = LeaseClock()
        clock.note(sentAt: wall + 86_400_000, now: local(10_000), wallNow: wall)
        #expect(clock.samples.isEmpty)
        clock.note(sentAt: .max, now: local(10_000), wallNow: wall)
        #expect(clock.samples.isEmpty)
    }
}
