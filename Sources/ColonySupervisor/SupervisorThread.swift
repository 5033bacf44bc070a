import CProcessSpawn
import ColonyCore
import Foundation

/// The supervisor's own thread: the serial executor of its actor, with timers.
///
/// Children are forked from this thread with a parent-death signal, which the kernel sends
/// when the forking *thread* exits; so it must live as long as the supervisor runs agents, and
/// no longer: `stop()` ends it once they are stopped. Jobs that arrive after that run on a
/// serial dispatch queue (nothing is forked then).
///
/// Safety of `@unchecked Sendable`: every mutable field is read and written only while
/// holding `condition`'s lock. Timer actions are not `Sendable`: they are created by the
/// supervisor's actor (on this thread) and only ever called on this thread.
final class SupervisorThread: @unchecked Sendable {
    struct TimerID: Hashable, Sendable { let value: Int }

    private struct Timer {
        let id: Int
        let deadline: MonotonicTime
        let action: () -> Void
    }

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var timers: [Timer] = []
    private var nextID = 1
    private var stopping = false
    private var stopped = false
    private var thread: pthread_t?
    private var threadID: Int32 = 0
    private let afterStop: DispatchQueue = {
        let queue = DispatchQueue(label: "colony-supervisor-after-stop")
        queue.setSpecific(key: SupervisorThread.afterStopKey, value: ())
        return queue
    }()
    private static let afterStopKey = DispatchSpecificKey<Void>()

    /// Starts the thread and returns once it runs.
    static func start(name: String) -> SupervisorThread {
        let executor = SupervisorThread()
        let started = DispatchSemaphore(value: 0)
        let thread = Thread {
            executor.condition.lock()
            executor.thread = pthread_self()
            executor.threadID = colony_thread_id()
            executor.condition.unlock()
            started.signal()
            executor.run()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        started.wait()
        return executor
    }

    /// The kernel's id of the thread (it appears under /proc/self/task while the thread runs).
    var kernelThreadID: Int32 {
        condition.lock()
        defer { condition.unlock() }
        return threadID
    }

    /// Whether the caller runs on this thread.
    var isCurrent: Bool {
        condition.lock()
        defer { condition.unlock() }
        return thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
    }

    private func run() {
        condition.lock()
        while true {
            let now = MonotonicTime.now()
            let due = timers.filter { $0.deadline <= now }.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
            timers.removeAll { $0.deadline <= now }
            let batch = jobs
            jobs.removeAll()
            if due.isEmpty && batch.isEmpty {
                if stopping {
                    stopped = true
                    thread = nil
                    condition.unlock()
                    return
                }
                if let next = timers.map(\.deadline).min() {
                    let waitSeconds = Double(next.nanoseconds &- now.nanoseconds) / 1e9
                    _ = condition.wait(until: Date().addingTimeInterval(max(0, waitSeconds)))
                } else {
                    condition.wait()
                }
                continue
            }
            condition.unlock()
            for timer in due { timer.action() }
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            condition.lock()
        }
    }

    /// Calls `action` on this thread after `delay`.
    @discardableResult
    func schedule(after delay: Duration, _ action: @escaping () -> Void) -> TimerID {
        condition.lock()
        defer { condition.unlock() }
        let id = nextID
        nextID += 1
        if !stopping { timers.append(Timer(id: id, deadline: .now() + delay, action: action)) }
        condition.signal()
        return TimerID(value: id)
    }

    /// Calls `action` every `interval` until cancelled with the returned id.
    @discardableResult
    func scheduleRepeating(every interval: Duration, _ action: @escaping () -> Void) -> TimerID {
        condition.lock()
        let id = nextID
        nextID += 1
        condition.unlock()
        arm(id, interval: interval, action)
        return TimerID(value: id)
    }

    private func arm(_ id: Int, interval: Duration, _ action: @escaping () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return }
        timers.append(Timer(id: id, deadline: .now() + interval) { [weak self] in
            self?.arm(id, interval: interval, action)
            action()
        })
        condition.signal()
    }

    /// Cancels a timer; harmless if it already fired.
    func cancel(_ timer: TimerID) {
        condition.lock()
        defer { condition.unlock() }
        timers.removeAll { $0.id == timer.value }
    }

    /// Ends the thread once the work queued now has run; timers not yet due are dropped.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        timers.removeAll()
        condition.signal()
    }
}

extension SupervisorThread: SerialExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        if stopped {
            condition.unlock()
            afterStop.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        precondition(isCurrent || DispatchQueue.getSpecific(key: Self.afterStopKey) != nil, "supervisor: called off its thread")
    }
}
