import ArgumentParser
import ColonyConfig
import ColonyScaffold
import ColonyYAML
import Foundation

extension AgentLanguage: ExpressibleByArgument {}

/// `colony new …`: starting points that run as they are.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create a runnable agent from a template.",
        subcommands: [NewAgent.self]
    )
}

/// `colony new agent NAME --lang python|swift [--capability CAP]`.
struct NewAgent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Write an agent with one capability and one test, and add it to agents.yaml.",
        discussion: """
        Python: NAME.py (on the SDK in sdk/python) and test_NAME.py. Swift: a package that depends
        on Colony's ColonyAgent library by path, with a test target. Run it under `colony up`.
        """
    )

    @Argument(help: "The agent's name: lowercase letters, digits and '_', starting with a letter.")
    var name: String

    @Option(name: .customLong("lang"), help: "The language: \(AgentLanguage.allCases.map(\.rawValue).joined(separator: " or ")).")
    var language: AgentLanguage = .python

    @Option(help: "The capability it offers (default NAME.hello).")
    var capability: String?

    @Option(help: "Where to write it (default agents/NAME).")
    var directory: String?

    @Option(help: "The agents file to add it to; it is printed instead when the file does not exist.")
    var agents = AgentsConfiguration.defaultPath

    @Option(help: "Swift: the Colony package to depend on (default: the Colony checkout this directory is in).")
    var colonyPath: String?

    func validate() throws {
        do {
            try AgentScaffold.validate(name: name)
            if let capability { try AgentScaffold.validate(capability: capability) }
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let files = FileManager.default
        let target = directory ?? "agents/\(name)"
        let targetURL = URL(fileURLWithPath: target).standardizedFileURL
        if let existing = try? files.contentsOfDirectory(atPath: targetURL.path), !existing.isEmpty {
            throw ScaffoldError("\(target) exists and is not empty; choose another --directory or name")
        }
        var scaffold = AgentScaffold(name: name, capability: capability ?? "\(name).hello", language: language, directory: target)
        if language == .swift {
            let colony = try colonyPackage()
            scaffold.colonyPath = relativePath(from: targetURL, to: colony)
            scaffold.colonyIdentity = colony.lastPathComponent.lowercased()
        }
        let registered = try register(scaffold)
        for file in scaffold.files {
            let url = targetURL.appendingPathComponent(file.path)
            try files.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.contents.write(to: url, atomically: true, encoding: .utf8)
            Console.line("created \(target)/\(file.path)")
        }
        if registered {
            Console.line("added '\(name)' to \(agents)")
        } else {
            Console.line("add it to your agents.yaml:\(scaffold.agentsEntry)")
        }
        Console.line("")
        for step in scaffold.nextSteps { Console.line(step) }
    }

    /// Appends the agent's entry to the agents file (checking the name is free); false when
    /// there is no such file.
    private func register(_ scaffold: AgentScaffold) throws -> Bool {
        guard FileManager.default.fileExists(atPath: agents) else { return false }
        let text = try YAMLLimits.readText(path: agents, what: "agents file")
        // By text: the file may name executables that do not exist yet (a .venv not made).
        let taken = text.split(separator: "\n").contains { line in
            line.trimmingCharacters(in: .whitespaces).replacing(" ", with: "") == "-name:\(name)"
        }
        guard !taken else { throw ScaffoldError("\(agents) already has an agent named '\(name)'") }
        guard text.contains("agents:") else { throw ScaffoldError("\(agents) has no 'agents:' list to add to") }
        let updated = (text.hasSuffix("\n") ? text : text + "\n") + scaffold.agentsEntry
        try updated.write(toFile: agents, atomically: true, encoding: .utf8)
        return true
    }

    /// The Colony package a Swift agent depends on: `--colony-path`, else the checkout the
    /// current directory is in.
    private func colonyPackage() throws -> URL {
        if let colonyPath {
            let url = URL(fileURLWithPath: colonyPath).standardizedFileURL
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("Sources/ColonyAgent").path) else {
                throw ScaffoldError("--colony-path \(colonyPath) is not a Colony checkout (no Sources/ColonyAgent)")
            }
            return url
        }
        var candidate = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
        while candidate.path != "/" {
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("Sources/ColonyAgent").path) { return candidate }
            candidate.deleteLastPathComponent()
        }
        throw ScaffoldError("this directory is not inside a Colony checkout: pass --colony-path")
    }
}

/// `to` relative to the directory `from` (both absolute): `/a/b/c` from `/a/x` is `../b/c`.
func relativePath(from: URL, to: URL) -> String {
    let source = from.standardizedFileURL.pathComponents
    let destination = to.standardizedFileURL.pathComponents
    var shared = 0
    while shared < min(source.count, destination.count), source[shared] == destination[shared] { shared += 1 }
    let path = Array(repeating: "..", count: source.count - shared) + destination[shared...]
    return path.isEmpty ? "." : path.joined(separator: "/")
}
