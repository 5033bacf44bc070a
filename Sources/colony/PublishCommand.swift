import ArgumentParser
import ColonyAgent
import Foundation

/// `colony publish TOPIC [JSON]`: publishes one event.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish an event on a topic."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The dotted topic, e.g. market.tick.")
    var topic: String

    @Argument(help: "The payload as JSON ('-' reads standard input; omitted sends {}).")
    var payload: String?

    @Option(help: "Correlation id (workflow run) to attach to the event.")
    var correlationID: String?

    @Option(help: "Milliseconds to wait, once the broker takes events, before publishing (the broker journals every event, so no wait is needed for subscribers).")
    var connectWaitMs: Int = 0

    @Option(help: "Seconds to wait for the broker's publish endpoint before giving up (exit 5).")
    var connectTimeout: Seconds = 5

    func validate() throws {
        try requireOption("connect-wait-ms", connectWaitMs, in: 0...60_000)
    }

    func run() async throws {
        let configuration = try global.loadConfiguration()
        global.bootstrapLogging(configuration, defaultLevel: .warning)
        guard !topic.isEmpty, !topic.contains(" ") else { throw ValidationError("the topic must be a dotted name without spaces") }
        var text = payload ?? "{}"
        if text == "-" { text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
        let bytes = try validatedJSON(text, what: "the payload")
        let endpoints = connection.clientEndpoints(configuration)
        let publisher = Publisher(endpoints: endpoints, source: "cli", credentials: try connection.credentials(configuration))
        guard try await publisher.waitUntilConnected(timeout: connectTimeout.duration) else {
            Console.error("error: cannot reach the broker's publish endpoint \(endpoints.publish) within \(connectTimeout)s; nothing was published")
            await publisher.close()
            throw ExitCode(ExitStatus.unreachable)
        }
        try await Task.sleep(for: .milliseconds(connectWaitMs))
        try await publisher.publish(topic, payload: bytes, metadata: RequestMetadata(correlationID: correlationID))
        await publisher.close(linger: .seconds(1))
    }
}
