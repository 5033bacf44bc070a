import Foundation
import ColonyCore

/// What the scheduler does about the ticks that are due: the pure decision, given when the
/// schedule last acted and whether its runs are still going. Catch-up ticks obey the overlap
/// policy like any other (with `skip`, a backlog starts one run and skips the rest). The daemon records every decision
/// (started, skipped, missed, with the reason) and acts on it.
public struct TickPlan: Sendable, Hashable {
    /// One tick and what becomes of it.
    public struct Decision: Sendable, Hashable {
        public enum Action: Sendable, Hashable {
            /// Start a run now.
            case start
            /// Start a run after cancelling the schedule's running ones.
            case startCancellingOthers
            /// Keep it waiting until the running run ends.
            case buffer
            /// Do not start it.
            case skip(reason: String)
            /// Too old to start (outside the catch-up window), or superseded by a later tick.
            case miss(reason: String)
        }

        public var tick: Date
        public var action: Action
    }

    public var decisions: [Decision]

    /// Decides about the ticks after `lastTick` up to `now`.
    /// - Parameters:
    ///   - lastTick: the newest tick already decided (nil: the schedule is new, and it starts
    ///     with its next tick; nothing before now is due or missed).
    ///   - running: how many runs of the schedule are in progress.
    ///   - buffered: how many ticks already wait.
    public static func decide(_ schedule: Schedule, lastTick: Date?, now: Date, running: Int, buffered: Int) -> TickPlan {
        let windowStart = now.addingTimeInterval(-schedule.catchUpWindow.seconds)
        let from = lastTick.map(schedule.aligned) ?? now
        let due = schedule.ticks(after: from, through: now)
        var decisions: [Decision] = []
        var startable: [Date] = []
        for tick in due {
            if tick < windowStart {
                decisions.append(Decision(tick: tick, action: .miss(reason: "older than the catch-up window (\(schedule.catchUpWindow.formatted))")))
            } else {
                startable.append(tick)
            }
        }
        if schedule.catchUpMode == .latest, startable.count > 1 {
            for tick in startable.dropLast() {
                decisions.append(Decision(tick: tick, action: .miss(reason: "superseded by a later tick (catch_up: latest)")))
            }
            startable = [startable.last!]
        }
        var running = running
        var buffered = buffered
        for tick in startable {
            guard running > 0 else {
                decisions.append(Decision(tick: tick, action: .start))
                running += 1
                continue
            }
            switch schedule.overlap {
            case .allowAll:
                decisions.append(Decision(tick: tick, action: .start))
                running += 1
            case .cancelOther:
                decisions.append(Decision(tick: tick, action: .startCancellingOthers))
                running = 1
            case .skip:
                decisions.append(Decision(tick: tick, action: .skip(reason: "a run of this schedule is still going (overlap: skip)")))
            case .bufferOne:
                if buffered == 0 {
                    decisions.append(Decision(tick: tick, action: .buffer))
                    buffered = 1
                } else {
                    decisions.append(Decision(tick: tick, action: .skip(reason: "one tick already waits (overlap: buffer_one)")))
                }
            case .bufferAll:
                decisions.append(Decision(tick: tick, action: .buffer))
                buffered += 1
            }
        }
        return TickPlan(decisions: decisions.sorted { $0.tick < $1.tick })
    }
}

extension Duration {
    /// `30s`, `5m`, `1h`.
    var formatted: String {
        let total = seconds
        if total >= 3600, total.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(total / 3600))h" }
        if total >= 60, total.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(total / 60))m" }
        return total.rounded() == total ? "\(Int(total))s" : String(format: "%.3gs", total)
    }
}
