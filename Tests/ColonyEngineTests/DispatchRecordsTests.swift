import ColonyCore
import Testing

@testable import ColonyEngine

/// Which instance got an attempt is written with the next batch, or alone once the oldest
/// record waited the delay: never later, and never a write for nothing.
@Suite struct DispatchRecordsTests {
    let start = ContinuousClock.now

    @Test func oneTimerAtATimeAndAWriteOnlyOnceTheOldestWaitedTheDelay() {
        let records = DispatchRecords(delay: .milliseconds(10))
        #expect(records.add(run: "r1", step: "a", attempt: 1, instance: "x-1", at: start), "the first record starts the timer")
        #expect(!records.add(run: "r1", step: "b", attempt: 1, instance: "x-1", at: start + .milliseconds(4)), "one timer at a time")
        #expect(records.next(at: start + .milliseconds(6)) == .wait(.milliseconds(4)))
        #expect(records.next(at: start + .milliseconds(10)) == .writeNow)
        #expect(records.take().count == 2)
        #expect(records.add(run: "r1", step: "c", attempt: 1, instance: "x-1", at: start + .milliseconds(11)), "the timer ended: a new one starts")
    }

    @Test func aBatchThatTookTheRecordsLeavesTheTimerNothingToWrite() {
        let records = DispatchRecords(delay: .milliseconds(10))
        #expect(records.add(run: "r1", step: "a", attempt: 1, instance: "x-1", at: start))
        #expect(records.take().count == 1, "the next batch took it")
        #expect(!records.add(run: "r1", step: "b", attempt: 1, instance: "x-1", at: start + .milliseconds(8)), "the timer still runs")
        #expect(records.next(at: start + .milliseconds(10)) == .wait(.milliseconds(8)), "measured from the oldest record left")
        #expect(records.take().count == 1)
        #expect(records.next(at: start + .milliseconds(18)) == .nothing)
        #expect(records.add(run: "r1", step: "c", attempt: 1, instance: "x-1", at: start + .milliseconds(20)))
    }
}
