import ArgumentParser

struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "system")
    func run() async throws {}
}
