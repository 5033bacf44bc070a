import ArgumentParser
import ColonyAccess
import ColonyAgent
import ColonyBroker
import ColonyControlPlane
import ColonyConfig
import ColonyWire
import Dispatch
import ColonySupervisor
import Foundation
import Logging
import ServiceLifecycle

/// `colony broker`: runs the MDP broker and event proxy in the foreground.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the broker: MDP request routing plus the event proxy."
    )


    @Flag(help: "Run without CURVE: anyone who can reach the endpoints may offer, ask, publish and read anything (security.mode: none).")
    var insecure = false

    @Option(help: "Heartbeat interval, e.g. 2500ms (default from the configuration).", transform: DurationOption.parse)
    var heartbeat: DurationOption?

    @Option(help: ArgumentHelp("Heartbeat interval in milliseconds (use --heartbeat).", visibility: .hidden))
    var heartbeatMs: Int?

    @Option(help: "Missed heartbeats before an agent is dropped (default 3).")
    var liveness: Int?

    @Option(help: "How long a request may wait for an agent, e.g. 30s (default from the configuration; 0s answers at once when no agent is free).", transform: DurationOption.parse)
    var requestExpiry: DurationOption?

    @Option(help: ArgumentHelp("Request expiry in milliseconds (use --request-expiry).", visibility: .hidden))
    var requestExpiryMs: Int?

    @Option(help: "After starting, how long requests of runs may wait for the orchestrator to re-announce ended runs, e.g. 3s.", transform: DurationOption.parse)
    var gateRecovery: DurationOption?

    @Option(help: ArgumentHelp("Gate recovery in milliseconds (use --gate-recovery).", visibility: .hidden))
    var gateRecoveryMs: Int?

    @Option(help: ArgumentHelp(
        "Once bound, write the endpoints as JSON to this file.",
        discussion: "With port 0 (`--endpoint tcp://127.0.0.1:0`) the system picks free ports; the file says which."
    ))
    var endpointsFile: String?

    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (no token; bind it where only your scraper reaches).")
    var metrics: String?
    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: EventConnectionOptions

    func validate() throws {
        if let metrics, HostPort(metrics) == nil {
            throw ValidationError("--metrics must be HOST:PORT with a port from 0 to 65535, not '\(metrics)'")
        }
        _ = try chosenDuration("heartbeat", heartbeat, milliseconds: heartbeatMs, in: heartbeatRange)
        try requireOption("liveness", liveness, in: 1...100)
        _ = try chosenDuration("gate-recovery", gateRecovery, milliseconds: gateRecoveryMs, in: .zero ... .seconds(600))
        _ = try chosenDuration("request-expiry", requestExpiry, milliseconds: requestExpiryMs, in: .zero ... .seconds(86_400))
    }

    func run() async throws {
        var configuration = try global.loadConfiguration()
        global.bootstrapLogging(configuration)
        ParentWatch.startIfRequested()
        configuration.broker.endpoints = connection.endpoints(configuration)
        if let heartbeat = try chosenDuration("heartbeat", heartbeat, milliseconds: heartbeatMs, in: heartbeatRange) {
            configuration.broker.heartbeatInterval = heartbeat
        }
        if let liveness { configuration.broker.liveness = liveness }
        if let expiry = try chosenDuration("request-expiry", requestExpiry, milliseconds: requestExpiryMs, in: .zero ... .seconds(86_400)) {
            configuration.broker.requestExpiry = expiry
        }
        if let recovery = try chosenDuration("gate-recovery", gateRecovery, milliseconds: gateRecoveryMs, in: .zero ... .seconds(600)) {
            configuration.broker.gateRecovery = recovery
        }
        let logger = Logger(label: "broker")
        // Before the broker starts, so its metrics land in the registry /metrics renders.
        let metricsServer = metrics.flatMap(HostPort.init).map { address in
            _ = ColonyMetrics.registry
            return MetricsServer(host: address.host, port: address.port)
        }
        let guardian: BrokerGuard?
        do {
            guardian = try Self.guardian(insecure ? SecuritySettings(mode: .none) : configuration.security, logger: logger)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let journal: EventJournal
        do {
            journal = try EventJournal.open(configuration.broker.eventJournal.resolved(besideDatabase: nil))
        } catch {
            logger.critical("cannot open the event journal", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.usage)
        }
        // The broker blocks in libzmq on a thread of its own, never on a Swift concurrency thread.
        let handle: BrokerHandle
        do {
            handle = try Broker.start(configuration.broker, guard: guardian, journal: journal, logger: logger)
        } catch {
            logger.critical("cannot start broker", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.unreachable)
        }
        Console.line("bound \(handle.endpoints.requests) publish \(handle.endpoints.publish) subscribe \(handle.endpoints.subscribe)")
        if let endpointsFile {
            do {
                try JSONEncoder().encode(handle.endpoints).write(to: URL(fileURLWithPath: endpointsFile), options: .atomic)
            } catch {
                logger.critical("cannot write the endpoints file", metadata: ["path": "\(endpointsFile)", "error": "\(error)"])
                handle.stop()
                throw ExitCode(ExitStatus.usage)
            }
        }
        let services: [any Service] = [BrokerService(handle)] + (metricsServer.map { [$0] } ?? [])
        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }

    /// The broker's security for `settings`: the keys (created on first use) and the access
    /// list, or nil when security is off.
    static func guardian(_ settings: SecuritySettings, logger: Logger) throws -> BrokerGuard? {
        guard settings.mode == .curve else { return nil }
        let keys = settings.keys
        let created = try keys.initialize { try Credentials.generateKeyPair() }
        if !created.isEmpty {
            Console.line("created \(created.joined(separator: " and ")) keys in \(keys.path) (colony keys list)")
        }
        return try BrokerGuard(keys: keys, logger: logger)
    }
}
