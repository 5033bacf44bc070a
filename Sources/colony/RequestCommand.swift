import ArgumentParser

struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "request")
    func run() async throws {}
}
