import ArgumentParser
import ColonyAgent
import ColonyConfig
import ColonyWire
import Foundation

/// `colony system …`: the state of the whole bus.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system",
        abstract: "Check the broker and what is connected to it.",
        subcommands: [Health.self]
    )

    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Is the broker reachable, and which agents and capabilities are there?",
            discussion: "Exit codes: 0 healthy, 5 broker unreachable."
        )

        @Flag(help: "Print JSON for scripts.") var json = false
        @Option(help: "How long to wait for the broker, e.g. 3s.", transform: DurationOption.parse) var timeout: DurationOption = .seconds(3)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        struct Report: Encodable {
            /// The configuration file used (`built-in defaults` when none was found).
            var config: String
            var broker: String
            var reachable: Bool
            var uptimeSeconds: Double?
            var agents: Int
            var capabilities: [CapabilityRecord]
            var statistics: BrokerStatistics?
            var error: String?
        }

        func run() async throws {
            let configuration = try global.loadConfiguration()
            global.bootstrapLogging(configuration, defaultLevel: .warning)
            let endpoints = connection.clientEndpoints(configuration)
            let client = ColonyClient(endpoints: endpoints, credentials: try connection.credentials(configuration), connectTimeout: timeout.duration)
            let report: Report
            do {
                let statistics = try await client.statistics(timeout: timeout.duration)
                let directory = try await client.directory(timeout: timeout.duration)
                report = Report(
                    config: Self.describe(configuration), broker: endpoints.requests, reachable: true, uptimeSeconds: statistics.uptimeSeconds,
                    agents: directory.agents.count, capabilities: directory.capabilities, statistics: statistics
                )
            } catch {
                report = Report(config: Self.describe(configuration), broker: endpoints.requests, reachable: false, agents: 0, capabilities: [], error: "\(error)")
            }
            if json {
                Console.line(prettyJSON(report))
            } else {
                print(report)
            }
            if !report.reachable { throw ExitCode(ExitStatus.unreachable) }
        }

        /// Which configuration file the command read: an absolute path, so "which colony is
        /// this?" has one answer wherever the command ran.
        static func describe(_ configuration: ColonyConfiguration) -> String {
            guard let source = configuration.source else { return "built-in defaults (no configs/colony.yaml here or above)" }
            return URL(fileURLWithPath: source).standardizedFileURL.path
        }

        private func print(_ report: Report) {
            Console.line("config  \(report.config)")
            guard report.reachable, let statistics = report.statistics else {
                Console.line("broker  \(report.broker)  UNREACHABLE (\(report.error ?? "no answer"))")
                return
            }
            Console.line("broker  \(report.broker)  ok  up \(Int(report.uptimeSeconds ?? 0))s  requests \(statistics.requestsReceived)  malformed \(statistics.malformedMessages)")
            Console.line("agents  \(report.agents) connected")
            if statistics.security == "none" {
                Console.line("security  NONE: anyone who can reach the broker may offer, ask, publish and read anything")
            } else {
                let refused = statistics.securityRefusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                Console.line("security  \(statistics.security)  refused: \(refused.isEmpty ? "none" : refused)")
            }
            guard !report.capabilities.isEmpty else { return }
            var table = Table("CAPABILITY", "AGENTS", "QUEUED", "SERVED")
            for capability in report.capabilities {
                table.add(capability.name, "\(capability.agents)", "\(capability.queued)", "\(capability.served)")
            }
            Console.line(table.rendered)
        }
    }
}
