import ColonyCore

/// How to run one agent: what to start, how many, and what to do when it exits.
/// Built from `configs/agents.yaml` (validated there) or by code.
public struct AgentSpec: Sendable, Hashable {
    /// When an agent process that exited is started again.
    public enum RestartPolicy: String, Sendable, CaseIterable {
        case always
        case onFailure = "on-failure"
        case never
    }

    /// Where the agent's standard output and error go.
    public enum Output: String, Sendable, CaseIterable {
        /// A log file per replica under the run directory.
        case file
        /// The log file, and each line echoed on the supervisor's output with a name prefix.
        case echo
    }

    /// Delay between restarts: `initial`, multiplied by `multiplier` after each consecutive
    /// failure, at most `max`.
    public struct Backoff: Sendable, Hashable {
        public var initial: Duration
        public var max: Duration
        public var multiplier: Double

        public init(initial: Duration = .milliseconds(500), max: Duration = .seconds(30), multiplier: Double = 2) {
            self.initial = initial
            self.max = max
            self.multiplier = multiplier
        }

        /// The delay before restart number `attempt` (1-based) of a run of failures.
        public func delay(attempt: Int) -> Duration {
            .backoff(initial: initial, multiplier: multiplier, max: max, attempt: attempt)
        }
    }

    /// More than `restarts` restarts within `window` means the agent is crash looping:
    /// the supervisor stops restarting it and marks it failed.
    public struct CrashLoopLimit: Sendable, Hashable {
        public var restarts: Int
        public var window: Duration

        public init(restarts: Int = 5, window: Duration = .seconds(60)) {
            self.restarts = restarts
            self.window = window
        }
    }

    public var name: String
    /// The command line: the program (looked up in PATH when it has no slash) and its arguments.
    public var command: [String]
    public var workingDirectory: String?
    public var environment: [String: String]
    public var replicas: Int
    /// Named groups every replica belongs to (passed to it as `COLONY_AGENT_GROUPS`).
    public var groups: [String] = []
    public var restart: RestartPolicy
    public var backoff: Backoff
    public var crashLoop: CrashLoopLimit
    /// How long a stopping agent may take between SIGTERM and SIGKILL.
    public var gracePeriod: Duration
    public var output: Output
    /// The most a replica's log file holds before it is moved aside to `NAME-N.log.1` (replacing
    /// the one before) and a new one begins: at most twice this on disk per replica.
    public var logMaximumBytes: Int64 = 64 << 20
    /// The smallest bound a log may have (a pipe's read fits several times over).
    public static let smallestLogMaximum: Int64 = 1 << 20

    public init(
        name: String, command: [String], workingDirectory: String? = nil, environment: [String: String] = [:],
        replicas: Int = 1, restart: RestartPolicy = .onFailure, backoff: Backoff = Backoff(),
        crashLoop: CrashLoopLimit = CrashLoopLimit(), gracePeriod: Duration = .seconds(10), output: Output = .file
    ) {
        self.name = name
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.replicas = replicas
        self.restart = restart
        self.backoff = backoff
        self.crashLoop = crashLoop
        self.gracePeriod = gracePeriod
        self.output = output
    }
}
