import ArgumentParser
import ColonyBroker
import ColonyConfig
import ColonyWire
import Dispatch
import Foundation
import Logging

/// `colony broker`: runs the MDP broker and event proxy in the foreground.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the broker: MDP request routing plus the event proxy."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Heartbeat interval in milliseconds (default from configuration, 2500).")
    var heartbeatMs: Int?

    @Option(help: "Missed heartbeats before an agent is dropped (default 3).")
    var liveness: Int?

    @Option(help: "How long a request may wait for an agent, in milliseconds (default 30000).")
    var requestExpiryMs: Int?

    func run() async throws {
        var configuration = try global.loadConfiguration()
        global.bootstrapLogging(configuration)
        ParentWatch.startIfRequested()
        configuration.broker.endpoints = connection.endpoints(configuration)
        if let heartbeatMs {
            guard heartbeatMs >= 10 else { throw ValidationError("--heartbeat-ms must be at least 10") }
            configuration.broker.heartbeatInterval = .milliseconds(heartbeatMs)
        }
        if let liveness {
            guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1") }
            configuration.broker.liveness = liveness
        }
        if let requestExpiryMs { configuration.broker.requestExpiry = .milliseconds(requestExpiryMs) }
        let logger = Logger(label: "broker")
        // The broker blocks in libzmq on a thread of its own, never on a Swift concurrency thread.
        let handle: BrokerHandle
        do {
            handle = try Broker.start(configuration.broker, logger: logger)
        } catch {
            logger.critical("cannot start broker", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.unreachable)
        }
        let stopper = SignalStopper { handle.stop() }
        Console.line("bound \(handle.endpoints.requests)")
        await handle.waitUntilStopped()
        withExtendedLifetime(stopper) {}
    }
}
