import Foundation

/// Each thread's CPU time, time spent runnable but waiting for a CPU, and context switches in
/// this process, read from `/proc/self/task`: taken around a measured stretch, the difference
/// shows which threads worked, how often each was woken and how long each waited for a core
/// (`THREADS=1 ColonyBench engine …`).
struct ThreadTimes {
    struct Thread {
        var name: String
        /// User and system time in clock ticks (10 ms).
        var user: Int
        var system: Int
        /// Time on a CPU and time runnable on a run queue, in nanoseconds (`schedstat`: exact).
        var running: Int
        var waiting: Int
        var voluntarySwitches: Int
        var involuntarySwitches: Int
    }

    var threads: [Int: Thread] = [:]

    /// Whether the benchmarks take and print these figures: `THREADS=1` in the environment.
    static let wanted = ProcessInfo.processInfo.environment["THREADS"] != nil

    /// The current figures of every thread of this process; empty where `/proc` is not there or
    /// when they are not `wanted` (reading them takes a millisecond or two).
    static func now() -> ThreadTimes {
        var result = ThreadTimes()
        guard wanted else { return result }
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            guard let id = Int(task),
                  let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                  let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8),
                  let schedstat = try? String(contentsOfFile: "/proc/self/task/\(task)/schedstat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the name: state is field 3, utime 14 and stime 15 (proc(5)).
            let scheduler = schedstat.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]), scheduler.count >= 2 else { continue }
            func switches(_ key: String) -> Int {
                status.split(separator: "\n").first { $0.hasPrefix(key) }
                    .flatMap { Int($0.split(separator: "\t").last ?? "") } ?? 0
            }
            result.threads[id] = Thread(name: String(stat[stat.index(after: open)..<close]), user: user, system: system,
                                        running: scheduler[0], waiting: scheduler[1],
                                        voluntarySwitches: switches("voluntary_ctxt_switches:"),
                                        involuntarySwitches: switches("nonvoluntary_ctxt_switches:"))
        }
        return result
    }

    /// A timed stretch: its wall time and the figures at its start and end.
    struct Stretch {
        var elapsed: Duration
        var start: ThreadTimes
        var end: ThreadTimes

        /// One line per thread that worked in the stretch, per `unit`; nil unless `wanted`.
        func report(per unit: Int, label: String) -> String? {
            ThreadTimes.wanted ? end.report(since: start, per: unit, label: label) : nil
        }
    }

    /// One line per thread that worked or switched since `earlier`, per `unit` (e.g. per step).
    func report(since earlier: ThreadTimes, per unit: Int, label: String) -> String {
        var lines = ["\(label), per step (threads that ran):"]
        for (id, thread) in threads.sorted(by: { $0.key < $1.key }) {
            let before = earlier.threads[id]
                ?? Thread(name: thread.name, user: 0, system: 0, running: 0, waiting: 0, voluntarySwitches: 0, involuntarySwitches: 0)
            let user = thread.user - before.user, system = thread.system - before.system
            let voluntary = thread.voluntarySwitches - before.voluntarySwitches
            let involuntary = thread.involuntarySwitches - before.involuntarySwitches
            let running = thread.running - before.running, waiting = thread.waiting - before.waiting
            guard running + voluntary + involuntary > 0 else { continue }
            let scale = 1 / Double(max(unit, 1))
            lines.append(String(format: "  %-16@ CPU %6.1f us (user %5.1f%%)  waiting for a core %6.1f us  switches %5.2f voluntary %5.2f not",
                                thread.name as NSString, Double(running) / 1000 * scale,
                                user + system > 0 ? Double(user) * 100 / Double(user + system) : 0, Double(waiting) / 1000 * scale,
                                Double(voluntary) * scale, Double(involuntary) * scale))
        }
        return lines.joined(separator: "\n")
    }
}
