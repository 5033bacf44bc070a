import ColonyAccess
import ColonyCore
import ColonyEngine
import ColonyWire
import ColonyYAML
import Foundation

/// The contents of `configs/colony.yaml`: where the broker listens and how it behaves,
/// and how Colony processes log.
public struct ColonyConfiguration: Sendable {
    /// The broker's settings; clients use its endpoints to find it.
    public var broker: BrokerConfiguration
    /// The orchestrator's settings.
    public var orchestrator = OrchestratorSettings()
    /// How the bus is secured (CURVE keys and roles, or nothing).
    public var security = SecuritySettings()
    /// The control plane's HTTP server.
    public var http = HTTPSettings()
    /// `text` or `json`.
    public var logFormat: String
    /// swift-log level name: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String
    /// The file it came from, if any.
    public var source: String?
    /// The project folder when the file was found above the working directory (its relative
    /// paths, already resolved, count from there).
    public var projectRoot: String?

    public init(broker: BrokerConfiguration = BrokerConfiguration(), logFormat: String = "text", logLevel: String = "info", source: String? = nil) {
        self.broker = broker
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.source = source
    }

    /// The path of the default configuration file, relative to the working directory.
    public static let defaultPath = "configs/colony.yaml"

    /// Loads the configuration: `explicitPath` if given (it must exist), else `$COLONY_CONFIG`,
    /// else `configs/colony.yaml` here or in the nearest folder above that has one (its
    /// relative paths then count from that folder), else the built-in defaults.
    public static func load(explicitPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> ColonyConfiguration {
        if let path = explicitPath ?? environment["COLONY_CONFIG"] {
            return try load(path: path)
        }
        if FileManager.default.fileExists(atPath: defaultPath) {
            return try load(path: defaultPath)
        }
        if let found = projectFile() {
            let root = URL(fileURLWithPath: found).deletingLastPathComponent().deletingLastPathComponent().path
            var configuration = try load(path: found).resolvingPaths(against: root)
            configuration.projectRoot = root
            return configuration
        }
        return ColonyConfiguration()
    }

    /// Loads and validates one file.
    public static func load(path: String) throws(ConfigError) -> ColonyConfiguration {
        try parse(YAMLLimits.readText(path: path, what: "configuration file"), file: path)
    }

    /// Parses configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ColonyConfiguration {
        let root = try YAMLMapping.parse(text, file: file)
        try root.rejectUnknownKeys(["broker", "orchestrator", "security", "http", "log"], in: "the configuration")
        var configuration = ColonyConfiguration(source: file)
        if let http = try root.mapping("http") { configuration.http = try HTTPSettings.parse(http) }
        if let security = try root.mapping("security") {
            try security.rejectUnknownKeys(["mode", "keys"], in: "'security'")
            if let mode = try security.choice("mode", from: SecuritySettings.Mode.allCases.map(\.rawValue)) {
                configuration.security.mode = SecuritySettings.Mode(rawValue: mode) ?? .curve
            }
            configuration.security.keyDirectory = try security.string("keys") ?? configuration.security.keyDirectory
        }
        if let broker = try root.mapping("broker") {
            try broker.rejectUnknownKeys(BrokerKeys.all, in: "'broker'")
            let requests = try broker.string(BrokerKeys.endpoint) ?? BrokerEndpoints.defaults.requests
            configuration.broker.endpoints = BrokerEndpoints(
                requests: requests,
                publish: try broker.string(BrokerKeys.publishEndpoint),
                subscribe: try broker.string(BrokerKeys.subscribeEndpoint)
            )
            if let interval = try broker.duration(BrokerKeys.heartbeatInterval) {
                guard interval >= .milliseconds(10) else {
                    throw ConfigError(file: file, line: broker.line(of: BrokerKeys.heartbeatInterval), message: "'heartbeat_interval' must be at least 10ms")
                }
                configuration.broker.heartbeatInterval = interval
            }
            if let liveness = try broker.integer(BrokerKeys.heartbeatLiveness, in: 1...100) {
                configuration.broker.liveness = liveness
            }
            if let expiry = try broker.duration(BrokerKeys.requestExpiry) {
                configuration.broker.requestExpiry = expiry
            }
            if let limit = try broker.integer(BrokerKeys.redispatchLimit, in: 0...10) {
                configuration.broker.redispatchLimit = limit
            }
            if let queued = try broker.integer(BrokerKeys.maxQueued, in: 1...10_000_000) {
                configuration.broker.maxQueuedPerCapability = queued
            }
            if let capacity = try broker.integer(BrokerKeys.failedRunCapacity, in: 1...100_000_000) {
                configuration.broker.failedRunCapacity = capacity
            }
            if let ttl = try broker.duration(BrokerKeys.failedRunTTL) {
                configuration.broker.failedRunTimeToLive = ttl
            }
            if let mark = try broker.integer(BrokerKeys.eventHighWaterMark, in: 1...10_000_000) {
                configuration.broker.eventHighWaterMark = Int32(mark)
            }
            if let bytes = try broker.integer(BrokerKeys.maxQueuedBytes, in: 1024...(64 << 30)) {
                configuration.broker.maxQueuedBytesPerCapability = bytes
            }
            if let queued = try broker.integer(BrokerKeys.maxQueuedTotal, in: 1...100_000_000) {
                configuration.broker.maxQueuedTotal = queued
            }
            if let bytes = try broker.integer(BrokerKeys.maxQueuedBytesTotal, in: 1024...(1 << 40)) {
                configuration.broker.maxQueuedBytesTotal = bytes
            }
            if let names = try broker.integer(BrokerKeys.maxUnofferedCapabilities, in: 1...1_000_000) {
                configuration.broker.maxUnofferedCapabilities = names
            }
            if let bytes = try broker.integer(BrokerKeys.maxMessageSize, in: 1024...(1 << 30)) {
                configuration.broker.maxMessageSize = Int64(bytes)
            }
            if let capacity = try broker.integer(BrokerKeys.maxAgentCapacity, in: 1...10_000) {
                configuration.broker.maxAgentCapacity = capacity
            }
            if let recovery = try broker.duration(BrokerKeys.gateRecovery, allowsZero: true) {
                configuration.broker.gateRecovery = recovery
            }
            if let location = try broker.string(BrokerKeys.eventJournal) {
                guard !location.isEmpty else {
                    throw ConfigError(file: file, line: broker.line(of: BrokerKeys.eventJournal),
                                      message: "'event_journal' must be auto, memory or a directory")
                }
                configuration.broker.eventJournal.location = EventJournalSettings.Location(location)
            }
            if let count = try broker.integer(BrokerKeys.eventJournalMaxEvents, in: 1...100_000_000) {
                configuration.broker.eventJournal.maxEvents = count
            }
            if let bytes = try broker.integer(BrokerKeys.eventJournalMaxBytes, in: 1024...(64 << 30)) {
                configuration.broker.eventJournal.maxBytes = bytes
            }
        }
        if let orchestrator = try root.mapping("orchestrator") {
            try orchestrator.rejectUnknownKeys(["database", "workflows", "default_step_timeout", "lease", "max_concurrent_runs", "max_queued_runs", "resources",
                                                "shutdown_grace", "leader_lease", "electorates"], in: "'orchestrator'")
            if let electorates = try orchestrator.mapping("electorates") {
                for group in electorates.keys {
                    configuration.orchestrator.electorates[GroupName(group)] = try electorates.integer(group, in: 1...10_000)
                }
            }
            if let lease = try orchestrator.duration("leader_lease") {
                guard lease >= .milliseconds(300) else {
                    throw ConfigError(file: file, line: orchestrator.line(of: "leader_lease"), message: "'leader_lease' must be at least 300ms")
                }
                configuration.orchestrator.leaderLease = lease
            }
            if let grace = try orchestrator.duration("shutdown_grace", allowsZero: true) {
                configuration.orchestrator.shutdownGrace = grace
            }
            if let limit = try orchestrator.integer("max_concurrent_runs", in: 1...1_000_000) {
                configuration.orchestrator.maxConcurrentRuns = limit
            }
            if let limit = try orchestrator.integer("max_queued_runs", in: 1...1_000_000) {
                configuration.orchestrator.maxQueuedRuns = limit
            }
            if let resources = try orchestrator.mapping("resources") {
                for name in resources.keys {
                    guard let capacity = try resources.integer(name, in: 1...1_000_000) else { continue }
                    configuration.orchestrator.resources[name] = capacity
                }
            }
            if let lease = try orchestrator.duration("lease") {
                guard lease >= .milliseconds(300) else {
                    throw ConfigError(file: file, line: orchestrator.line(of: "lease"), message: "'lease' must be at least 300ms")
                }
                configuration.orchestrator.lease = lease
            }
            configuration.orchestrator.database = try orchestrator.string("database") ?? configuration.orchestrator.database
            configuration.orchestrator.workflows = try orchestrator.strings("workflows") ?? configuration.orchestrator.workflows
            if let timeout = try orchestrator.duration("default_step_timeout") {
                configuration.orchestrator.defaultStepTimeout = timeout
            }
        }
        if let log = try root.mapping("log") {
            try log.rejectUnknownKeys(["format", "level"], in: "'log'")
            configuration.logFormat = try log.choice("format", from: ["text", "json"]) ?? configuration.logFormat
            configuration.logLevel = try log.choice("level", from: ["trace", "debug", "info", "notice", "warning", "error", "critical"]) ?? configuration.logLevel
        }
        return configuration
    }

    enum BrokerKeys {
        static let endpoint = "endpoint"
        static let publishEndpoint = "publish_endpoint"
        static let subscribeEndpoint = "subscribe_endpoint"
        static let heartbeatInterval = "heartbeat_interval"
        static let heartbeatLiveness = "heartbeat_liveness"
        static let requestExpiry = "request_expiry"
        static let redispatchLimit = "redispatch_limit"
        static let maxQueued = "max_queued_per_capability"
        static let failedRunCapacity = "failed_run_capacity"
        static let failedRunTTL = "failed_run_ttl"
        static let eventHighWaterMark = "event_high_water_mark"
        static let maxQueuedBytes = "max_queued_bytes_per_capability"
        static let maxQueuedTotal = "max_queued_total"
        static let maxQueuedBytesTotal = "max_queued_bytes_total"
        static let maxUnofferedCapabilities = "max_unoffered_capabilities"
        static let maxMessageSize = "max_message_size"
        static let gateRecovery = "gate_recovery"
        static let maxAgentCapacity = "max_agent_capacity"
        static let eventJournal = "event_journal"
        static let eventJournalMaxEvents = "event_journal_max_events"
        static let eventJournalMaxBytes = "event_journal_max_bytes"
        static let all = [endpoint, publishEndpoint, subscribeEndpoint, heartbeatInterval, heartbeatLiveness,
                          requestExpiry, redispatchLimit, maxQueued, failedRunCapacity, failedRunTTL, eventHighWaterMark,
                          maxQueuedBytes, maxQueuedTotal, maxQueuedBytesTotal, maxUnofferedCapabilities, maxMessageSize, gateRecovery, maxAgentCapacity, eventJournal, eventJournalMaxEvents,
                          eventJournalMaxBytes]
    }
}
