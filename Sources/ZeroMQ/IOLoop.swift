import ColonyCore
import CZeroMQ
import HeapModule
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One thread that owns ZeroMQ sockets: it polls their signal descriptors, fires timers, and
/// is the serial (and task) executor of the actors that use those sockets.
///
/// Socket callbacks and timers run on the loop thread; actors whose `unownedExecutor` is
/// the loop can therefore touch their sockets from inside those callbacks through
/// `assumeIsolated`, with no thread hop. Other threads reach the loop through `enqueue`
/// (Swift jobs) or `execute` (closures), which wake the poll through an eventfd.
///
/// Safety of `@unchecked Sendable`: the cross-thread state is `inbox` (a `Mutex`), the
/// atomics and the immutable eventfd. Everything else (`watches`, `timers`, `descriptors`)
/// is touched only on the loop thread, which every entry point checks with `preconditionOnLoop()`.
public final class IOLoop: @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    /// Identifies a socket or file descriptor being watched.
    public struct WatchID: Hashable, Sendable { let value: Int }
    /// Identifies a scheduled timer.
    public struct TimerID: Hashable, Sendable { let value: Int }

    private struct TimerEntry: Comparable {
        let deadline: MonotonicTime
        let id: Int
        static func < (lhs: TimerEntry, rhs: TimerEntry) -> Bool {
            (lhs.deadline, lhs.id) < (rhs.deadline, rhs.id)
        }
    }

    private struct Watch {
        let id: Int
        let socket: Socket
        let handler: () -> Void
    }

    /// The loop's name, used for its thread.
    public let name: String
    private let wakeFD: Int32
    /// A timer descriptor armed at the earliest timer's deadline, so the loop blocks in `poll`
    /// with no timeout: a timeout makes the kernel arm and cancel a timer at every wait (~1.6 µs
    /// a wait on this VM, measured on the broker), where this one is re-armed only when an
    /// earlier deadline comes. It also fires to the nanosecond, where `poll` rounds up to a ms.
    private let timerFD: Int32
    /// The deadline `timerFD` is armed at; nil when disarmed or fired.
    private(set) var armedDeadline: MonotonicTime?
    private let inbox = Mutex<[Work]>([])
    private let wakePending = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let owner = Atomic<UInt>(0)

    // Loop-thread state.
    private var watches: [Watch] = []
    private var watchesChanged = false
    /// What `poll` waits on (the wake-up and timer descriptors, then each watched socket's), and the
    /// watches they were made from; rebuilt when the watches change.
    private var descriptors: [pollfd] = []
    private var polled: [Watch] = []
    private var timerHeap = Heap<TimerEntry>()
    private var timerActions: [Int: () -> Void] = [:]
    private var nextID = 1
    private var spareInbox: [Work] = []

    /// Creates a loop that runs when some thread calls `run()`.
    public init(name: String = "colony-io") {
        self.name = name
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(fd >= 0, "eventfd failed: errno \(errno)")
        wakeFD = fd
        let timer = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        precondition(timer >= 0, "timerfd_create failed: errno \(errno)")
        timerFD = timer
    }

    deinit {
        close(wakeFD)
        close(timerFD)
    }

    /// Creates a loop and runs it on a new thread of its own.
    public static func start(name: String = "colony-io") -> IOLoop {
        let loop = IOLoop(name: name)
        let started = DispatchSemaphore(value: 0)
        let thread = Thread {
            nameCurrentThread(name)
            loop.claimCurrentThread()
            started.signal()
            loop.run()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        started.wait()
        return loop
    }

    // MARK: Thread identity

    private func claimCurrentThread() {
        owner.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .releasing)
    }

    /// Whether the caller is running on the loop thread.
    public var isCurrent: Bool {
        owner.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: pthread_self()))
    }

    /// Stops the process if the caller is not on the loop thread.
    public func preconditionOnLoop(_ file: StaticString = #fileID, line: UInt = #line) {
        precondition(isCurrent, "\(name): called off its I/O thread", file: file, line: line)
    }

    // MARK: Running

    /// Runs the loop on the calling thread until `stop()`, first calling `onStart` there
    /// (the place to watch sockets and schedule timers).
    ///
    /// It polls the sockets' ZMQ_FD descriptors itself rather than calling `zmq_poll`, which
    /// would check every socket's events before and after each wait: measured on the broker,
    /// that doubled the poll syscalls per request. ZMQ_FD is edge triggered, so before
    /// blocking the loop checks `isReadable` on each socket used since the last check.
    public func run(onStart: () -> Void = {}) {
        claimCurrentThread()
        onStart()
        var passesWithoutCheck = 0
        while !stopRequested.load(ordering: .relaxed) {
            var busy = drainInbox()
            fireDueTimers()
            // A readability check costs libzmq two system calls: while more work is queued it
            // waits (at most `checkEvery` passes), and always runs before the loop blocks.
            let queued = inboxIsNonEmpty
            if queued && passesWithoutCheck < Self.checkEvery {
                passesWithoutCheck += 1
                continue
            }
            passesWithoutCheck = 0
            for watch in watches where watch.socket.touched && watch.socket.isReadable {
                if isWatched(watch.id) { watch.handler() }
                busy = true
            }
            if stopRequested.load(ordering: .relaxed) { break }
            // Work that keeps coming must not starve the sockets nobody touched: their signals
            // arrive only through poll, so one is taken without waiting.
            if queued {
                pollSockets(timeout: 0)
                continue
            }
            if busy || inboxIsNonEmpty { continue }
            pollSockets(timeout: armTimer())
        }
        watches.removeAll()
        timerActions.removeAll()
    }

    /// Waits up to `timeout` ms (-1: for ever) for a socket's signal or a wake-up, and calls
    /// the handlers of the sockets that signalled.
    private func pollSockets(timeout: Int) {
        if watchesChanged || descriptors.count != watches.count + 2 {
            descriptors = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0), pollfd(fd: timerFD, events: Int16(POLLIN), revents: 0)]
            descriptors += watches.map { pollfd(fd: $0.socket.signalDescriptor, events: Int16(POLLIN), revents: 0) }
            polled = watches
            watchesChanged = false
        }
        let count = descriptors.count
        let ready = descriptors.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t(count), Int32(timeout)) }
        if ready < 0 {
            if errno == EINTR { return }
            fatalError("\(name): poll failed: errno \(errno)")
        }
        if ready == 0 { return }
        if descriptors[0].revents != 0 {
            var counter: UInt64 = 0
            _ = read(wakeFD, &counter, 8)
        }
        if descriptors[1].revents != 0 {
            var expirations: UInt64 = 0
            _ = read(timerFD, &expirations, 8)
            armedDeadline = nil
        }
        for index in 2..<count where descriptors[index].revents != 0 {
            let watch = polled[index - 2]
            if isWatched(watch.id) { watch.handler() }
        }
    }

    /// Passes of queued work the loop may make before it checks its sockets again.
    static let checkEvery = 8

    private func isWatched(_ id: Int) -> Bool {
        watches.contains { $0.id == id }
    }

    /// Asks the loop to return from `run()`; safe from any thread (and signal handlers' queues).
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        wake(force: true)
    }

    private var inboxIsNonEmpty: Bool { inbox.withLock { !$0.isEmpty } }

    /// Gets the timer descriptor ready for a wait and returns `poll`'s timeout: 0 when a timer
    /// is already due, else -1, `timerFD` then being armed no later than the earliest deadline.
    /// One armed later than that is re-armed; one armed earlier (its timer cancelled) is left to
    /// fire, which costs a turn, not a system call at every wait.
    private func armTimer() -> Int {
        guard let next = nextTimerDeadline() else { return -1 }
        if next <= MonotonicTime.now() { return 0 }
        if let armed = armedDeadline, armed <= next { return -1 }
        var setting = itimerspec()
        let nanoseconds = min(next.nanoseconds, UInt64(Int64.max))
        setting.it_value.tv_sec = Int(nanoseconds / 1_000_000_000)
        setting.it_value.tv_nsec = Int(nanoseconds % 1_000_000_000)
        guard timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &setting, nil) == 0 else {
            fatalError("\(name): timerfd_settime failed: errno \(errno)")
        }
        armedDeadline = next
        return -1
    }

    private func wake(force: Bool = false) {
        if force || !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    /// Runs queued work; returns whether any ran.
    private func drainInbox() -> Bool {
        wakePending.store(false, ordering: .releasing)
        // Swap the inbox with the (empty) spare buffer: no allocation on the hot path.
        var batch: [Work] = []
        swap(&batch, &spareInbox)
        inbox.withLock { swap(&$0, &batch) }
        defer {
            batch.removeAll(keepingCapacity: true)
            spareInbox = batch
        }
        for work in batch {
            switch work {
            case .job(let job):
                job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            case .closure(let body):
                body()
            }
        }
        return !batch.isEmpty
    }

    private func push(_ work: Work) {
        inbox.withLock { $0.append(work) }
        if !isCurrent { wake() }
    }

    /// Runs `body` on the loop thread, soon; safe from any thread.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        push(.closure(body))
    }

    // MARK: Watching sockets

    /// Calls `onReadable` on the loop thread whenever `socket` has a message waiting.
    /// The handler should receive until the socket reports nothing left (or a batch limit).
    public func watch(_ socket: Socket, onReadable: @escaping () -> Void) -> WatchID {
        preconditionOnLoop()
        let id = takeID()
        watches.append(Watch(id: id, socket: socket, handler: onReadable))
        watchesChanged = true
        return WatchID(value: id)
    }

    /// Stops watching; the loop drops its reference to the socket.
    public func unwatch(_ id: WatchID) {
        preconditionOnLoop()
        watches.removeAll { $0.id == id.value }
        watchesChanged = true
    }

    // MARK: Timers

    /// Calls `action` on the loop thread at `deadline` (or soon after).
    @discardableResult
    public func schedule(at deadline: MonotonicTime, _ action: @escaping () -> Void) -> TimerID {
        preconditionOnLoop()
        let id = takeID()
        timerHeap.insert(TimerEntry(deadline: deadline, id: id))
        timerActions[id] = action
        return TimerID(value: id)
    }

    /// Calls `action` on the loop thread after `delay`.
    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping () -> Void) -> TimerID {
        schedule(at: .now() + delay, action)
    }

    /// Calls `action` every `interval` until cancelled with the returned id.
    @discardableResult
    public func scheduleRepeating(every interval: Duration, _ action: @escaping () -> Void) -> TimerID {
        preconditionOnLoop()
        let id = takeID()
        func arm(_ deadline: MonotonicTime) {
            timerHeap.insert(TimerEntry(deadline: deadline, id: id))
            timerActions[id] = {
                arm(.now() + interval)
                action()
            }
        }
        arm(.now() + interval)
        return TimerID(value: id)
    }

    /// Cancels a timer; harmless if it already fired.
    public func cancel(_ timer: TimerID) {
        preconditionOnLoop()
        timerActions[timer.value] = nil
    }

    private func nextTimerDeadline() -> MonotonicTime? {
        while let first = timerHeap.min, timerActions[first.id] == nil {
            timerHeap.removeMin()
        }
        return timerHeap.min?.deadline
    }

    private func fireDueTimers() {
        let now = MonotonicTime.now()
        while let first = timerHeap.min, first.deadline <= now {
            timerHeap.removeMin()
            if let action = timerActions.removeValue(forKey: first.id) {
                action()
            }
        }
    }

    private func takeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }
}

extension IOLoop: SerialExecutor, TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        push(.job(UnownedJob(job)))
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        preconditionOnLoop()
    }

    public func isIsolatingCurrentContext() -> Bool? {
        isCurrent
    }
}

/// Names the calling thread for `top -H`, `ps -L` and debuggers (Linux keeps 15 characters).
public func nameCurrentThread(_ name: String) {
    colony_name_current_thread(String(name.prefix(15)))
}
