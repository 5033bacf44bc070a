import ArgumentParser
import ColonyAgent
import Foundation

/// `colony publish TOPIC [JSON]`: publishes one event.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish an event on a topic."
    )


    @Argument(help: "The dotted topic, e.g. market.tick.")
    var topic: String

    @Argument(help: "The payload as JSON ('-' reads standard input; omitted sends {}).")
    var payload: String?

    @Option(help: "Correlation id (workflow run) to attach to the event.")
    var correlationID: String?

    @Option(help: "How long to wait, once the broker takes events, before publishing, e.g. 200ms (the broker journals every event, so subscribers need no wait).", transform: DurationOption.parse)
    var connectWait: DurationOption?

    @Option(help: ArgumentHelp("The wait in milliseconds (use --connect-wait).", visibility: .hidden))
    var connectWaitMs: Int?

    @Option(help: "How long to wait for the broker's publish endpoint before giving up (exit 5), e.g. 5s.", transform: DurationOption.parse)
    var connectTimeout: DurationOption = .seconds(5)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: EventConnectionOptions

    func validate() throws {
        _ = try chosenDuration("connect-wait", connectWait, milliseconds: connectWaitMs, in: .zero ... .seconds(60))
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
            Console.error("error: broker unreachable: its publish endpoint \(endpoints.publish) did not answer within \(connectTimeout); nothing was published")
            await publisher.close()
            throw ExitCode(ExitStatus.unreachable)
        }
        if let wait = try chosenDuration("connect-wait", connectWait, milliseconds: connectWaitMs, in: .zero ... .seconds(60)) {
            try await Task.sleep(for: wait)
        }
        try await publisher.publish(topic, payload: bytes, metadata: RequestMetadata(correlationID: correlationID))
        await publisher.close(linger: .seconds(1))
    }
}
