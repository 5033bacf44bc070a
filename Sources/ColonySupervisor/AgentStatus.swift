/// How a process ended.
public struct ExitStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The exit code (128 + signal when killed by a signal).
    public var code: Int32
    /// The signal that killed it, if one did.
    public var signal: Int32?

    public init(code: Int32, signal: Int32?) {
        self.code = code
        self.signal = signal
    }

    /// Whether it exited normally with code 0.
    public var isSuccess: Bool { code == 0 && signal == nil }

    public var description: String {
        if let signal { return "killed by \(ExitStatus.signalName(signal))" }
        return "exited with code \(code)"
    }

    static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM"]
        return names[number] ?? "signal \(number)"
    }
}

/// The lifecycle state of one agent replica.
public enum AgentState: String, Sendable, Codable, CaseIterable {
    case starting, running, restarting, failed, stopped
}

/// What the supervisor knows about one agent replica (for `colony agent list/info`).
public struct AgentStatus: Sendable, Hashable, Codable {
    public var name: String
    public var replica: Int
    public var pid: Int32?
    public var state: AgentState
    /// When the current process started, milliseconds since the Unix epoch.
    public var startedAtMilliseconds: UInt64?
    public var restarts: Int
    public var lastExit: ExitStatus?
    public var logFile: String
    public var command: [String]

    public init(
        name: String, replica: Int, pid: Int32?, state: AgentState, startedAtMilliseconds: UInt64?,
        restarts: Int, lastExit: ExitStatus?, logFile: String, command: [String]
    ) {
        self.name = name
        self.replica = replica
        self.pid = pid
        self.state = state
        self.startedAtMilliseconds = startedAtMilliseconds
        self.restarts = restarts
        self.lastExit = lastExit
        self.logFile = logFile
        self.command = command
    }
}

/// Something that happened to an agent replica, reported one line each by `colony up`.
public struct SupervisorEvent: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case started(pid: Int32)
        case exited(pid: Int32, status: ExitStatus)
        case restarting(after: Duration)
        case gaveUp(restarts: Int, window: Duration)
        case stopped
        case spawnFailed(reason: String)
    }

    public var agent: String
    public var replica: Int
    public var kind: Kind

    public init(agent: String, replica: Int, kind: Kind) {
        self.agent = agent
        self.replica = replica
        self.kind = kind
    }

    public var description: String {
        let who = "\(agent)[\(replica)]"
        switch kind {
        case .started(let pid): return "\(who) started (pid \(pid))"
        case .exited(let pid, let status): return "\(who) pid \(pid) \(status)"
        case .restarting(let delay): return "\(who) restarting in \(delay.readable)"
        case .gaveUp(let restarts, let window):
            return "\(who) gave up: \(restarts) restarts within \(window.readable); marked failed"
        case .stopped: return "\(who) stopped"
        case .spawnFailed(let reason): return "\(who) could not start: \(reason)"
        }
    }

}
