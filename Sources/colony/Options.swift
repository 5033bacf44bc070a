import ArgumentParser
import ColonyAgent
import ColonyConfig
import ColonyLogging
import ColonyWire
import ColonyYAML
import Foundation
import Logging

/// Options every command shares: which configuration file, and how to log.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $COLONY_CONFIG or configs/colony.yaml).")
    var config: String?

    @Option(name: .long, help: "Log format: text or json (default from the configuration).")
    var logFormat: LogFormat?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level?

    /// Loads the configuration, exiting with a located message when it is invalid.
    func loadConfiguration() throws -> ColonyConfiguration {
        do {
            return try ColonyConfiguration.load(explicitPath: config)
        } catch {
            throw CLIError.configuration(error)
        }
    }

    /// Sets up logging from flags, else the configuration.
    func bootstrapLogging(_ configuration: ColonyConfiguration, defaultLevel: Logger.Level? = nil) {
        let format = logFormat ?? LogFormat(rawValue: configuration.logFormat) ?? .text
        let level = logLevel ?? defaultLevel ?? Logger.Level(rawValue: configuration.logLevel) ?? .info
        ColonyLogging.bootstrap(format: format, level: level)
    }
}

/// Where the broker is: flags, then environment, then the configuration file. The event
/// endpoints' flags are accepted but not shown in help: the commands with this group only
/// send requests.
struct ConnectionOptions: BrokerConnection {
    @Option(name: .long, help: "Broker endpoint (env COLONY_ENDPOINT; default from configs/colony.yaml).")
    var endpoint: String?

    @Option(name: .long, help: ArgumentHelp("Broker event input endpoint (env COLONY_PUBLISH_ENDPOINT).", visibility: .hidden))
    var publishEndpoint: String?

    @Option(name: .long, help: ArgumentHelp("Broker event output endpoint (env COLONY_SUBSCRIBE_ENDPOINT).", visibility: .hidden))
    var subscribeEndpoint: String?
}

/// Where the broker and its event endpoints are, for the commands that publish or subscribe.
struct EventConnectionOptions: BrokerConnection {
    @Option(name: .long, help: "Broker endpoint (env COLONY_ENDPOINT; default from configs/colony.yaml).")
    var endpoint: String?

    @Option(name: .long, help: "Broker event input endpoint (env COLONY_PUBLISH_ENDPOINT; default: the endpoint's port + 1).")
    var publishEndpoint: String?

    @Option(name: .long, help: "Broker event output endpoint (env COLONY_SUBSCRIBE_ENDPOINT; default: the endpoint's port + 2).")
    var subscribeEndpoint: String?
}

/// The broker's endpoints as flags give them; the rest comes from the environment and the
/// configuration file.
protocol BrokerConnection: ParsableArguments {
    var endpoint: String? { get }
    var publishEndpoint: String? { get }
    var subscribeEndpoint: String? { get }
}

extension BrokerConnection {
    /// The endpoints to use. When only the request endpoint is given, the event endpoints
    /// derive from it (port + 1, port + 2) rather than from the configuration file.
    func endpoints(_ configuration: ColonyConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) -> BrokerEndpoints {
        let configured = configuration.broker.endpoints
        let requests = endpoint ?? environment["COLONY_ENDPOINT"]
        let publish = publishEndpoint ?? environment["COLONY_PUBLISH_ENDPOINT"]
        let subscribe = subscribeEndpoint ?? environment["COLONY_SUBSCRIBE_ENDPOINT"]
        guard let requests else {
            return BrokerEndpoints(requests: configured.requests, publish: publish ?? configured.publish, subscribe: subscribe ?? configured.subscribe)
        }
        return BrokerEndpoints(requests: requests, publish: publish, subscribe: subscribe)
    }

    /// The CURVE credentials client commands connect with: `COLONY_CURVE_*` when set, else the
    /// operator's key of the configured key directory when the bus is secured, else none.
    func credentials(_ configuration: ColonyConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Credentials? {
        do {
            if let fromEnvironment = try Credentials.fromEnvironment(environment) { return fromEnvironment }
        } catch {
            throw CLIError.usage("\(error)")
        }
        guard configuration.security.mode == .curve else { return nil }
        let keys = configuration.security.keys
        guard keys.isInitialized else { return nil }
        do {
            let operatorKeys = try keys.operatorKeys()
            return Credentials(serverKey: try keys.brokerKeys().publicKey, publicKey: operatorKeys.publicKey, secretKey: operatorKeys.secretKey)
        } catch {
            throw CLIError.usage("\(error)")
        }
    }

    /// The endpoints for connecting to the broker: like `endpoints`, with wildcard bind
    /// addresses (`tcp://*:5555`, `tcp://0.0.0.0:5555`) turned into loopback.
    func clientEndpoints(_ configuration: ColonyConfiguration) -> BrokerEndpoints {
        let bound = endpoints(configuration)
        return BrokerEndpoints(
            requests: BrokerEndpoints.connectable(bound.requests),
            publish: BrokerEndpoints.connectable(bound.publish),
            subscribe: BrokerEndpoints.connectable(bound.subscribe)
        )
    }
}

extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Errors the CLI reports and the exit codes they map to.
enum CLIError: Error, CustomStringConvertible {
    case configuration(ConfigError)
    case usage(String)

    var description: String {
        switch self {
        case .configuration(let error): return "error: \(error)"
        case .usage(let message): return "error: \(message)"
        }
    }
}

/// `HOST:PORT` as an option gives it (`127.0.0.1:9100`, `[::1]:9100`).
struct HostPort {
    let host: String
    let port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), colon > text.startIndex,
              let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port)
        else { return nil }
        host = String(text[..<colon]).trimmingCharacters(in: ["[", "]"])
        self.port = port
    }
}
