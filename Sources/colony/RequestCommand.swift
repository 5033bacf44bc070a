import ArgumentParser
import ColonyAgent
import ColonyWire
import Foundation

/// `colony request CAPABILITY [JSON]`: calls a capability and prints the reply.
struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Call a capability and print its reply.",
        discussion: """
        Exit codes: 0 success, 1 the agent answered with an error, 2 bad usage,
        3 no agent offers the capability, 4 timed out, 5 broker unreachable.
        """
    )


    @Argument(help: "The capability, e.g. math.add.")
    var capability: String

    @Argument(help: "The request body as JSON ('-' reads standard input; omitted sends {}).")
    var body: String?

    @Option(help: "How long to wait for the reply, e.g. 30s, 500ms or 2m (more than 0, at most 100 years).", transform: DurationOption.parse)
    var timeout: DurationOption = .seconds(30)

    @Flag(help: "Send the body as raw bytes, without checking it is JSON.")
    var raw = false

    @Flag(help: "Print partial replies as they arrive (MDP/0.2 streaming).")
    var stream = false

    @Option(help: "Send to this agent instance only (see `colony group show`).")
    var instance: String?

    @Option(help: "Correlation id (workflow run) to attach to the request.")
    var correlationID: String?

    @Flag(help: "Print the reply with its metadata as one JSON object.")
    var json = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard !capability.isEmpty else { throw ValidationError("the capability is empty; name one, e.g. math.add (`colony agent list` shows them)") }
        guard capability.utf8.count <= 255, !capability.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            throw ValidationError("'\(capability)' is not a capability name: at most 255 bytes, without spaces or control characters")
        }
    }

    func run() async throws {
        let configuration = try global.loadConfiguration()
        global.bootstrapLogging(configuration, defaultLevel: .warning)
        guard !timeout.isZero else { throw ValidationError("--timeout must be more than 0 seconds") }
        var text = body ?? "{}"
        if text == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let payload = raw ? Array(text.utf8) : try validatedJSON(text, what: "the request body")
        let client = ColonyClient(endpoints: connection.clientEndpoints(configuration), credentials: try connection.credentials(configuration), unoffered: .fail)
        let metadata = RequestMetadata(correlationID: correlationID)
        let started = ContinuousClock.now
        do {
            if stream, instance != nil {
                throw ValidationError("--instance cannot be combined with --stream")
            }
            if stream {
                for try await reply in client.stream(capability, body: [payload], timeout: timeout.duration, metadata: metadata) {
                    printReply(reply, elapsed: ContinuousClock.now - started)
                }
            } else {
                let reply = try await client.request(capability, body: [payload], timeout: timeout.duration, metadata: metadata, instance: instance)
                printReply(reply, elapsed: ContinuousClock.now - started)
            }
        } catch let error as RequestError {
            if json {
                Console.line(prettyJSON(FailureOutput(error: error)))
            }
            let exit = report(error)
            if case .failed(let wire) = error, wire.code == .badRequest {
                await explainExpectedInput(client)
            }
            throw exit
        }
    }

    /// After a bad-input error: what the capability's agents announced it expects, if anything.
    private func explainExpectedInput(_ client: ColonyClient) async {
        guard let directory = try? await client.directory(timeout: .seconds(2)),  // best effort: the error is already printed
              let description = directory.capabilities.first(where: { $0.name == capability })?.description
        else { return }
        for line in description.lines(for: capability) { Console.error(line) }
    }

    private func printReply(_ reply: Reply, elapsed: Duration) {
        guard json else {
            Console.line(reply.text)
            return
        }
        Console.line(prettyJSON(ReplyOutput(
            capability: capability, agent: reply.header?.agent, partial: reply.isPartial,
            elapsedMilliseconds: (elapsed.milliseconds * 1000).rounded() / 1000, body: reply.text
        )))
    }

    struct ReplyOutput: Encodable {
        var capability: String
        var agent: String?
        var partial: Bool
        var elapsedMilliseconds: Double
        var body: String
    }

    struct FailureOutput: Encodable {
        var error: String
        init(error: RequestError) { self.error = "\(error)" }
    }
}
