import ArgumentParser
import ColonyAgent
import ColonyWire
import Foundation
import Logging

/// `colony watch [PREFIX…]`: prints events as they arrive, one line each, until Ctrl-C.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print events as they arrive, one line each, until interrupted."
    )

    @Argument(help: "Topic prefixes such as 'workflow.*' or 'agent.' (none = everything).")
    var prefixes: [String] = []

    @Flag(help: "Print each event as one JSON object.")
    var json = false

    @Option(help: "Exit after this many events.")
    var count: Int?

    @Flag(help: "Show leadership renewals too (coordination.lease.*, every lease/3 per group).")
    var renewals = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: EventConnectionOptions

    func validate() throws {
        if let long = prefixes.first(where: { !Topics.fitsSubscription($0) }) {
            throw ValidationError("a topic prefix is at most \(Topics.maximumSubscriptionPrefixBytes) bytes; '\(long.prefix(40))…' has \(long.utf8.count)")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1, not \(count)") }
    }

    func run() async throws {
        let configuration = try global.loadConfiguration()
        global.bootstrapLogging(configuration, defaultLevel: .warning)
        let credentials = try connection.credentials(configuration)
        // A subscriber alone would wait silently for a broker that is not there: ask it first.
        let probe = ColonyClient(endpoints: connection.clientEndpoints(configuration), credentials: credentials)
        do {
            _ = try await probe.statistics(timeout: .seconds(5))
            await probe.close()
        } catch {
            await probe.close()
            throw report(error)
        }
        let subscriber = Subscriber(endpoints: connection.clientEndpoints(configuration), credentials: credentials)
        let events = try await subscriber.subscribe(prefixes)
        let json = self.json, count = self.count, command = self
        try await untilSignalled(logger: Logger(label: "watch")) {
            var seen = 0
            // Renewals repeat what was announced; shown when asked for, by flag or by prefix.
            let showRenewals = command.renewals || command.prefixes.contains { $0.hasPrefix(Topics.leaseRenewalPrefix) }
            for await event in events {
                if !showRenewals, event.topic.hasPrefix(Topics.leaseRenewalPrefix) { continue }
                Console.line(json ? command.jsonLine(event) : command.textLine(event))
                seen += 1
                if let count, seen >= count { break }
            }
        }
        await subscriber.close()
    }

    private func textLine(_ event: Event) -> String {
        var line = "\(timestamp(milliseconds: event.header?.timestampMilliseconds)) \(event.topic) \(event.text)"
        if let correlation = event.header?.correlationID { line += " correlation_id=\(correlation)" }
        if let source = event.header?.agent { line += " from=\(source)" }
        return line
    }

    private func jsonLine(_ event: Event) -> String {
        let payload = (try? JSONSerialization.jsonObject(with: Data(event.payload), options: [.fragmentsAllowed])) ?? event.text
        var object: [String: Any] = ["topic": event.topic, "payload": payload]
        if let milliseconds = event.header?.timestampMilliseconds { object["ts"] = timestamp(milliseconds: milliseconds) }
        if let correlation = event.header?.correlationID { object["correlation_id"] = correlation }
        if let source = event.header?.agent { object["from"] = source }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
