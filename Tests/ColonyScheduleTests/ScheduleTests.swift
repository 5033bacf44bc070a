import ColonySchedule
import Foundation
import Testing

@Suite struct CronExpressionTests {
    let utc = TimeZone(identifier: "UTC")!

    func date(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    @Test func stepsRangesListsAndNames() throws {
        let quarter = try CronExpression("*/15 * * * *")
        #expect(quarter.next(after: date("2026-11-21T10:07:30Z"), in: utc) == date("2026-11-21T10:15:00Z"))
        #expect(quarter.next(after: date("2026-11-21T10:15:00Z"), in: utc) == date("2026-11-21T10:30:00Z"), "strictly after")
        let weekdays = try CronExpression("0 9 * * MON-FRI")
        // 2026-11-20 is a Friday.
        #expect(weekdays.next(after: date("2026-11-20T10:00:00Z"), in: utc) == date("2026-11-23T09:00:00Z"))
        let list = try CronExpression("5,35 8-9 1 jan,jul *")
        #expect(list.next(after: date("2026-11-21T00:00:00Z"), in: utc) == date("2027-01-01T08:05:00Z"))
        #expect(try CronExpression("0 0 * * 7").daysOfWeek == [0], "7 is Sunday too")
    }

    @Test func eitherDayFieldMatchesWhenBothAreRestricted() throws {
        // The 1st of the month or any Monday.
        let cron = try CronExpression("0 0 1 * MON")
        #expect(cron.next(after: date("2026-11-21T12:00:00Z"), in: utc) == date("2026-11-23T00:00:00Z"))
        #expect(cron.next(after: date("2026-11-30T12:00:00Z"), in: utc) == date("2026-12-01T00:00:00Z"))
    }

    @Test func timeZonesAndImpossibleDates() throws {
        let nineInNewYork = try CronExpression("0 9 * * *")
        #expect(nineInNewYork.next(after: date("2026-11-21T00:00:00Z"), in: TimeZone(identifier: "America/New_York")!) == date("2026-11-21T14:00:00Z"))
        #expect(try CronExpression("0 0 30 2 *").next(after: date("2026-01-01T00:00:00Z"), in: utc) == nil)
    }

    @Test func mistakesAreNamed() {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression("* * * *") }
        do {
            _ = try CronExpression("61 * * * *")
            Issue.record("accepted minute 61")
        } catch {
            #expect(error.message.contains("'61' is not a valid minute"))
        }
        #expect(throws: CronExpression.ParseError.self) { try CronExpression("0 5-1 * * *") }
        #expect(throws: CronExpression.ParseError.self) { try CronExpression("*/0 * * * *") }
    }
}

@Suite struct TickPlanTests {
    let base = Date(timeIntervalSince1970: 1_800_000_000)

    func every(_ seconds: Int64, overlap: Schedule.OverlapPolicy = .skip, window: Duration = .seconds(60), mode: Schedule.CatchUpMode = .all) -> Schedule {
        Schedule(name: "s", workflow: "w", trigger: .every(.seconds(seconds), offset: .zero), overlap: overlap, catchUpWindow: window, catchUpMode: mode)
    }

    @Test func intervalTicksAreAlignedSoEveryoneAgreesOnThem() {
        let schedule = Schedule(name: "s", workflow: "w", trigger: .every(.seconds(30), offset: .seconds(5)))
        let tick = schedule.nextTick(after: base.addingTimeInterval(1))!
        #expect(tick.timeIntervalSince1970.truncatingRemainder(dividingBy: 30) == 5)
        #expect(schedule.nextTick(after: tick) == tick.addingTimeInterval(30))
        var bounded = schedule
        bounded.start = base.addingTimeInterval(100)
        bounded.end = base.addingTimeInterval(130)
        #expect(bounded.ticks(after: base, through: base.addingTimeInterval(1000)).count == 1, "only ticks between start and end")
    }

    @Test func aTickReadBackWithMillisecondPrecisionIsNotDueAgain() {
        let schedule = every(1)
        let tick = Date(timeIntervalSince1970: 1_763_765_775.1)
        let tenths = Schedule(name: "s", workflow: "w", trigger: .every(.milliseconds(100), offset: .zero))
        for offset in stride(from: 0.0, to: 1.0, by: 0.1) {
            let stored = Date(timeIntervalSince1970: ((tick.timeIntervalSince1970 + offset) * 1000).rounded() / 1000)
            #expect(tenths.nextTick(after: tenths.aligned(stored))! > stored.addingTimeInterval(0.05))
        }
        #expect(schedule.nextTick(after: tick)! > tick)
    }

    @Test func afterDowntimeTicksInsideTheWindowStartAndOlderOnesAreMissed() {
        let schedule = every(10, overlap: .allowAll, window: .seconds(30))
        let plan = TickPlan.decide(schedule, lastTick: base, now: base.addingTimeInterval(60), running: 0, buffered: 0)
        let started = plan.decisions.filter { if case .start = $0.action { true } else { false } }
        let missed = plan.decisions.filter { if case .miss = $0.action { true } else { false } }
        #expect(missed.count == 2 && started.count == 4, "ticks at +10,+20 are older than 30s; +30…+60 start")
        #expect(started.allSatisfy { $0.tick >= base.addingTimeInterval(30) })
    }

    @Test func catchUpLatestStartsOnlyTheNewest() {
        let plan = TickPlan.decide(every(10, window: .seconds(30), mode: .latest), lastTick: base, now: base.addingTimeInterval(60), running: 0, buffered: 0)
        let started = plan.decisions.filter { if case .start = $0.action { true } else { false } }
        #expect(started.map(\.tick) == [base.addingTimeInterval(60)])
        #expect(plan.decisions.count == 6, "every tick is accounted for")
    }

    @Test func specsWithValuesOutOfRangeAreRefused() {
        for (every, jitter) in [(Double.infinity, 0.0), (1e300, 0), (.nan, 0), (10, 1e300), (10, -1)] {
            var spec = ScheduleSpec(name: "s", workflow: "w", everySeconds: every)
            spec.jitterSeconds = jitter
            #expect(throws: ScheduleSpec.Invalid.self) { try spec.schedule() }
        }
        var spec = ScheduleSpec(name: "s", workflow: "w", everySeconds: 10)
        spec.catchUpWindowSeconds = .infinity
        #expect(throws: ScheduleSpec.Invalid.self) { try spec.schedule() }
        // Through the API as in a workflow file: a pause after 0 or fewer failures would pause at once.
        for failures in [0, -5, 1_000_001] {
            var paused = ScheduleSpec(name: "s", workflow: "w", everySeconds: 10)
            paused.pauseAfterFailures = failures
            #expect(throws: ScheduleSpec.Invalid.self) { try paused.schedule() }
        }
    }

    @Test func overlapPolicies() {
        func actions(_ policy: Schedule.OverlapPolicy, buffered: Int = 0) -> [TickPlan.Decision.Action] {
            TickPlan.decide(every(10, overlap: policy), lastTick: base, now: base.addingTimeInterval(20), running: 1, buffered: buffered).decisions.map(\.action)
        }
        #expect(actions(.skip).allSatisfy { if case .skip = $0 { true } else { false } })
        #expect(actions(.allowAll) == [.start, .start])
        #expect(actions(.cancelOther) == [.startCancellingOthers, .startCancellingOthers], "each tick replaces the run before it")
        #expect(actions(.bufferAll) == [.buffer, .buffer])
        let one = actions(.bufferOne)
        #expect(one.first == .buffer && { if case .skip = one.last! { true } else { false } }())
        #expect({ if case .skip = actions(.bufferOne, buffered: 1).first! { true } else { false } }(), "one already waits")
    }

    @Test func aNewScheduleStartsWithItsNextTick() {
        let plan = TickPlan.decide(every(10, window: .seconds(30)), lastTick: nil, now: base.addingTimeInterval(5), running: 0, buffered: 0)
        #expect(plan.decisions.isEmpty, "nothing before now is due or missed")
    }

    @Test func aBacklogUnderSkipStartsOneRun() {
        let plan = TickPlan.decide(every(10, window: .seconds(60)), lastTick: base, now: base.addingTimeInterval(30), running: 0, buffered: 0)
        #expect(plan.decisions.map(\.action).first == .start)
        #expect(plan.decisions.dropFirst().allSatisfy { if case .skip = $0.action { true } else { false } })
    }
}
