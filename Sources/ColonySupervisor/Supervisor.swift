import CProcessSpawn
import Metrics
import ColonyCore
import Foundation

/// Why the supervisor refused an operation.
public enum SupervisorError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownAgent(String, known: [String])
    case invalidReplicas(Int)

    public var description: String {
        switch self {
        case .unknownAgent(let name, let known):
            let near = didYouMean(name, in: known).map { "\($0) " } ?? ""
            return "no agent named '\(name)' in the configuration" + (known.isEmpty ? "" : " (\(near)known: \(known.joined(separator: ", ")))")
        case .invalidReplicas(let count): return "replicas must be from 1 to \(Supervisor.maxReplicas), not \(count)"
        }
    }
}

/// Starts agent processes, restarts them by their policy with backoff, gives up on crash
/// loops, and stops them gracefully (SIGTERM, then SIGKILL after the grace period).
///
/// The actor runs on a thread of its own that lives as long as the supervisor: children are
/// forked from it with a parent-death signal, so none outlives a supervisor that is killed.
public actor Supervisor {
    nonisolated let loop: SupervisorThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    /// The kernel's id of the supervisor's thread.
    nonisolated var threadID: Int32 { loop.kernelThreadID }

    /// Lifecycle events, in order, for whoever reports them.
    public nonisolated let events: AsyncStream<SupervisorEvent>
    private let continuation: AsyncStream<SupervisorEvent>.Continuation
    /// Where each replica's log file goes.
    public nonisolated let logDirectory: URL
    private let environment: [String: String]

    private var specs: [String: AgentSpec] = [:]
    private var order: [String] = []
    private var replicas: [String: [Replica]] = [:]
    private var reaper: SupervisorThread.TimerID?
    private var shuttingDown = false

    /// A supervisor writing logs under `logDirectory` and giving every agent `environment`
    /// on top of its own process environment.
    public init(logDirectory: URL, environment: [String: String] = [:]) throws {
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        self.logDirectory = logDirectory
        self.environment = environment
        self.loop = SupervisorThread.start(name: "colony-supervisor")
        (events, continuation) = AsyncStream<SupervisorEvent>.makeStream()
    }

    // MARK: Operations

    /// Registers `specs` and starts all their replicas.
    public func start(_ specs: [AgentSpec]) {
        for spec in specs {
            if self.specs[spec.name] == nil { order.append(spec.name) }
            self.specs[spec.name] = spec
            scale(spec.name, to: spec.replicas)
        }
        startReaper()
    }

    /// Starts replicas of a configured agent: up to `count` running (default: its configured
    /// replicas), restarting stopped or failed ones.
    /// The most replicas one agent may have (agents.yaml accepts the same range).
    public static let maxReplicas = 1000

    public func spawn(_ name: String, replicas count: Int? = nil) throws(SupervisorError) {
        guard let spec = specs[name] else { throw .unknownAgent(name, known: order) }
        let target = count ?? spec.replicas
        guard (1...Supervisor.maxReplicas).contains(target) else { throw .invalidReplicas(target) }
        scale(name, to: target)
        startReaper()
    }

    /// Stops every replica of `name` (SIGTERM, then SIGKILL after its grace period).
    public func stop(_ name: String) async throws(SupervisorError) {
        guard specs[name] != nil else { throw .unknownAgent(name, known: order) }
        await stopReplicas(replicas[name] ?? [])
    }

    /// Stops and starts again every replica of `name`, one after the other.
    public func restart(_ name: String) async throws(SupervisorError) {
        guard let spec = specs[name] else { throw .unknownAgent(name, known: order) }
        let current = replicas[name] ?? []
        for replica in current {
            await stopReplicas([replica])
            replica.failures = 0
            replica.restartTimes.removeAll()
            launch(replica, spec: spec)
        }
        if current.isEmpty { scale(name, to: spec.replicas) }
    }

    /// Stops everything and then the supervisor's thread; no restarts happen after this.
    public func shutDown() async {
        guard !shuttingDown else { return }
        shuttingDown = true
        await stopReplicas(order.flatMap { replicas[$0] ?? [] })
        if let reaper { loop.cancel(reaper) }
        continuation.finish()
        loop.stop()
    }

    /// The state of every replica, in configuration order.
    public func status() -> [AgentStatus] {
        order.flatMap { name in (replicas[name] ?? []).map { $0.status(spec: specs[name]!) } }
    }

    /// The configured agents' names, in order.
    public func agentNames() -> [String] { order }

    // MARK: Replicas

    private func scale(_ name: String, to count: Int) {
        guard let spec = specs[name] else { return }
        var list = replicas[name] ?? []
        while list.count < count {
            let log = AgentLog(file: logDirectory.appendingPathComponent("\(name)-\(list.count + 1).log"), maximumBytes: spec.logMaximumBytes)
            list.append(Replica(name: name, index: list.count + 1, log: log))
        }
        replicas[name] = list
        for replica in list.prefix(count) where replica.pid == nil && replica.state != .restarting {
            replica.failures = 0
            replica.restartTimes.removeAll()
            launch(replica, spec: spec)
        }
    }

    private func launch(_ replica: Replica, spec: AgentSpec) {
        guard !shuttingDown else { return }
        replica.state = .starting
        replica.stopping = false
        let result = ProcessLauncher.launch(spec, replica: replica.index, environment: environment, log: replica.log)
        switch result {
        case .success(let pid):
            replica.pid = pid
            replica.startedAt = MonotonicTime.now()
            replica.startedAtMilliseconds = UInt64(Date().timeIntervalSince1970 * 1000)
            replica.state = .running
            emit(replica, .started(pid: pid))
        case .failure(let error):
            replica.state = .failed
            emit(replica, .spawnFailed(reason: error.description))
        }
    }

    private func startReaper() {
        guard reaper == nil else { return }
        reaper = loop.scheduleRepeating(every: .milliseconds(50)) { [weak self] in
            self?.assumeIsolated { $0.reap() }
        }
    }

    /// Collects exited children and applies each one's restart policy.
    private func reap() {
        for name in order {
            for replica in replicas[name] ?? [] {
                guard let pid = replica.pid else { continue }
                var code: Int32 = 0
                var signal: Int32 = 0
                guard colony_reap(pid, &code, &signal) == 1 else { continue }
                let status = ExitStatus(code: code, signal: signal == 0 ? nil : signal)
                replica.pid = nil
                replica.lastExit = status
                emit(replica, .exited(pid: pid, status: status))
                replica.exitWaiters.forEach { $0.resume() }
                replica.exitWaiters.removeAll()
                handleExit(replica, status: status)
            }
        }
    }

    private func handleExit(_ replica: Replica, status: ExitStatus) {
        guard let spec = specs[replica.name] else { return }
        if replica.stopping || shuttingDown {
            replica.state = .stopped
            emit(replica, .stopped)
            return
        }
        let wanted: Bool
        switch spec.restart {
        case .always: wanted = true
        case .onFailure: wanted = !status.isSuccess
        case .never: wanted = false
        }
        guard wanted else {
            replica.state = status.isSuccess ? .stopped : .failed
            return
        }
        let now = MonotonicTime.now()
        // A process that stayed up for a whole crash-loop window starts a fresh run of failures.
        if let startedAt = replica.startedAt, now.since(startedAt) >= spec.crashLoop.window { replica.failures = 0 }
        replica.restartTimes.removeAll { now.since($0) > spec.crashLoop.window }
        if replica.restartTimes.count >= spec.crashLoop.restarts {
            replica.state = .failed
            emit(replica, .gaveUp(restarts: replica.restartTimes.count, window: spec.crashLoop.window))
            return
        }
        replica.failures += 1
        replica.restartTimes.append(now)
        replica.restarts += 1
        Counter(label: "colony_agent_restarts_total", dimensions: [("agent", replica.name)]).increment()
        let delay = spec.backoff.delay(attempt: replica.failures)
        replica.state = .restarting
        emit(replica, .restarting(after: delay))
        let (name, index) = (replica.name, replica.index)
        loop.schedule(after: delay) { [weak self] in
            self?.assumeIsolated { $0.relaunch(name, index) }
        }
    }

    /// Starts a replica again after its backoff, unless it was stopped meanwhile.
    private func relaunch(_ name: String, _ index: Int) {
        guard let spec = specs[name], let replica = replicas[name]?.first(where: { $0.index == index }),
              replica.state == .restarting
        else { return }
        launch(replica, spec: spec)
    }

    private func stopReplicas(_ targets: [Replica]) async {
        let running = targets.filter { $0.pid != nil }
        for replica in targets where replica.pid == nil && replica.state != .stopped {
            replica.state = .stopped
            emit(replica, .stopped)
        }
        for replica in running {
            replica.stopping = true
            if let pid = replica.pid { _ = colony_signal_group(pid, SIGTERM) }
        }
        // Every replica got SIGTERM at once; each gets SIGKILL when its own grace period ends.
        let killers = running.map { replica in
            loop.schedule(after: specs[replica.name]?.gracePeriod ?? .seconds(10)) {
                if let pid = replica.pid { _ = colony_signal_group(pid, SIGKILL) }
            }
        }
        for replica in running where replica.pid != nil {
            await withCheckedContinuation { replica.exitWaiters.append($0) }
        }
        killers.forEach { loop.cancel($0) }
    }

    private func emit(_ replica: Replica, _ kind: SupervisorEvent.Kind) {
        continuation.yield(SupervisorEvent(agent: replica.name, replica: replica.index, kind: kind))
    }
}

/// One replica of an agent and its current process. Confined to the supervisor's actor.
final class Replica {
    let name: String
    let index: Int
    /// Its output, across restarts.
    let log: AgentLog
    var pid: Int32?
    var state: AgentState = .stopped
    var startedAt: MonotonicTime?
    var startedAtMilliseconds: UInt64?
    var restarts = 0
    var failures = 0
    var restartTimes: [MonotonicTime] = []
    var lastExit: ExitStatus?
    var stopping = false
    var exitWaiters: [CheckedContinuation<Void, Never>] = []

    init(name: String, index: Int, log: AgentLog) {
        self.name = name
        self.index = index
        self.log = log
    }

    func status(spec: AgentSpec) -> AgentStatus {
        AgentStatus(
            name: name, replica: index, pid: pid, state: state,
            startedAtMilliseconds: pid == nil ? nil : startedAtMilliseconds, restarts: restarts,
            lastExit: lastExit, logFile: log.file.path, command: spec.command
        )
    }
}
