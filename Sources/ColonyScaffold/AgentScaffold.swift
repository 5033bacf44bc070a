/// The language a new agent is written in.
public enum AgentLanguage: String, CaseIterable, Sendable {
    case python, swift
}

/// Why an agent could not be created (nothing was written).
public struct ScaffoldError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The files of a new, runnable agent with one capability and one test: pure text, written by
/// `colony new agent`. (Examples/ScaffoldedAgent is its Swift output, built by every build.)
public struct AgentScaffold: Sendable {
    public let name: String
    public let capability: String
    public let language: AgentLanguage
    /// The agent's directory, relative to where `colony up` runs (e.g. `agents/pricing`).
    public let directory: String
    /// Swift only: the Colony package, relative to `directory`, and its package identity.
    public var colonyPath = "../.."
    public var colonyIdentity = "colony"

    public init(name: String, capability: String, language: AgentLanguage, directory: String) {
        self.name = name
        self.capability = capability
        self.language = language
        self.directory = directory
    }

    /// Names an agent can have: a letter, then letters, digits or underscores (it names a
    /// Python module and a Swift target too).
    public static func validate(name: String) throws(ScaffoldError) {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), allowed, name.count <= 64 else {
            throw ScaffoldError("agent name '\(name)': use a lowercase letter, then lowercase letters, digits or '_' (at most 64)")
        }
    }

    public static func validate(capability: String) throws(ScaffoldError) {
        guard !capability.isEmpty, !capability.hasPrefix("mmi."), !capability.hasPrefix("colony."),
              capability.utf8.count <= 255, !capability.contains(where: \.isWhitespace)
        else {
            throw ScaffoldError("capability '\(capability)': a non-empty name without spaces, not under mmi. or colony.")
        }
    }

    /// `pricing_engine` → `PricingEngine`.
    public var typeName: String {
        name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Relative path → contents.
    public var files: [(path: String, contents: String)] {
        switch language {
        case .python: [("\(name).py", pythonModule), ("test_\(name).py", pythonTest)]
        case .swift: [
            ("Package.swift", swiftPackage),
            ("Sources/\(typeName)Agent/\(typeName)Agent.swift", swiftLibrary),
            ("Sources/\(name)/main.swift", swiftMain),
            ("Tests/\(typeName)AgentTests/\(typeName)AgentTests.swift", swiftTest),
        ]
        }
    }

    /// The agents.yaml entry that runs it under `colony up`.
    public var agentsEntry: String {
        let command = switch language {
        case .python: "[.venv/bin/python, \(directory)/\(name).py]"
        case .swift: "[\(directory)/.build/release/\(name)]"
        }
        return """

          - name: \(name)
            command: \(command)
            restart: on-failure

        """
    }

    /// What to do next, printed after the files are written.
    public var nextSteps: [String] {
        let request = "colony request \(capability) '{\"name\": \"Ada\"}'"
        switch language {
        case .python:
            return [
                "test it:   .venv/bin/python -m pytest \(directory)   (starts a real broker: `colony` on PATH or COLONY_BIN)",
                "run it:    colony up                (agents.yaml starts it with the others)",
                "call it:   \(request)",
            ]
        case .swift:
            return [
                "build it:  swift build -c release --package-path \(directory)",
                "test it:   swift test --package-path \(directory)",
                "run it:    colony up                (agents.yaml starts \(directory)/.build/release/\(name))",
                "call it:   \(request)",
            ]
        }
    }

    // MARK: Python

    private var pythonModule: String {
        """
        #!/usr/bin/env python3
        \"\"\"The \(name) agent: offers `\(capability)`.

        Under `colony up` (its agents.yaml entry) it finds the broker, heartbeat and CURVE keys in
        the environment; alone it connects to tcp://127.0.0.1:5555 unless COLONY_ENDPOINT says otherwise.
        \"\"\"
        from dataclasses import dataclass

        from colony import Agent, ColonyError

        agent = Agent("\(name)", concurrency=4)


        @dataclass
        class Hello:
            name: str


        @agent.capability("\(capability)")
        async def hello(params: Hello, ctx) -> dict:
            \"\"\"Greets someone by name.\"\"\"
            if not params.name:
                raise ColonyError("empty_name", "name must not be empty")  # a coded error fails the step
            ctx.logger.info(f"greeting {params.name}")
            return {"greeting": f"Hello, {params.name}!"}


        if __name__ == "__main__":
            agent.run()

        """
    }

    private var pythonTest: String {
        """
        \"\"\"The \(name) agent against a real broker: `colony broker` from PATH (or COLONY_BIN).\"\"\"
        import asyncio
        import os
        import shutil
        import subprocess
        import tempfile

        import pytest

        from colony import Client, ColonyError

        import \(name)


        def colony_binary() -> str:
            found = os.environ.get("COLONY_BIN") or shutil.which("colony")
            if not found:
                pytest.skip("no colony binary: put it on PATH or in COLONY_BIN")
            return found


        def test_it_greets_and_refuses_an_empty_name():
            endpoint = f"ipc://{tempfile.mkdtemp(prefix='\(name)-')}/bus"
            broker = subprocess.Popen([colony_binary(), "broker", "--insecure", "--endpoint", endpoint],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            async def scenario():
                agent = \(name).agent.connect_to(endpoint)
                serving = asyncio.ensure_future(agent.serve())
                client = Client(endpoint)
                try:
                    for _ in range(500):
                        if await client.request_raw("mmi.service", "\(capability)") == 200:
                            break
                        await asyncio.sleep(0.02)
                    assert await client.request("\(capability)", {"name": "Ada"}) == {"greeting": "Hello, Ada!"}
                    with pytest.raises(ColonyError) as refused:
                        await client.request("\(capability)", {"name": ""})
                    assert refused.value.code == "empty_name"
                finally:
                    agent.stop()
                    await serving
                    client.close()
            try:
                asyncio.run(scenario())
            finally:
                broker.kill()
                broker.wait()

        """
    }

    // MARK: Swift

    private var swiftPackage: String {
        """
        // swift-tools-version: 6.1
        import PackageDescription

        let package = Package(
            name: "\(name)",
            dependencies: [.package(path: "\(colonyPath)")],
            targets: [
                .target(name: "\(typeName)Agent", dependencies: [.product(name: "ColonyAgent", package: "\(colonyIdentity)")]),
                .executableTarget(name: "\(name)", dependencies: ["\(typeName)Agent", .product(name: "ColonyAgent", package: "\(colonyIdentity)")]),
                .testTarget(name: "\(typeName)AgentTests", dependencies: ["\(typeName)Agent", .product(name: "ColonyAgent", package: "\(colonyIdentity)")]),
            ]
        )

        """
    }

    private var swiftLibrary: String {
        """
        import ColonyAgent

        /// What `\(capability)` takes.
        public struct Hello: Codable, Sendable {
            public var name: String
            public init(name: String) { self.name = name }
        }

        /// What `\(capability)` answers.
        public struct Greeting: Codable, Sendable, Equatable {
            public var greeting: String
            public init(greeting: String) { self.greeting = greeting }
        }

        /// The \(name) agent: offers `\(capability)`.
        public enum \(typeName)Agent {
            /// The error code of an empty name.
            public static let emptyName = ErrorCode("empty_name")

            public static func make() -> Agent {
                var agent = Agent(name: "\(name)", concurrency: 4)
                agent.capability("\(capability)", summary: "Greets someone by name") { (input: Hello, context) in
                    context.logger.info("greeting")
                    return try greet(input)
                }
                return agent
            }

            /// The capability's logic, testable without a broker.
            public static func greet(_ input: Hello) throws(WireError) -> Greeting {
                guard !input.name.isEmpty else { throw WireError(emptyName, "name must not be empty") }
                return Greeting(greeting: "Hello, \\(input.name)!")
            }
        }

        """
    }

    private var swiftMain: String {
        """
        import ColonyAgent
        import \(typeName)Agent

        // Endpoints, heartbeat and CURVE keys come from the environment `colony up` gives agents.
        try await \(typeName)Agent.make().run(options: AgentOptions())

        """
    }

    private var swiftTest: String {
        """
        import ColonyAgent
        import \(typeName)Agent
        import Testing

        @Test func greetsByNameAndRefusesAnEmptyName() throws {
            #expect(try \(typeName)Agent.greet(Hello(name: "Ada")) == Greeting(greeting: "Hello, Ada!"))
            #expect(throws: WireError.self) { try \(typeName)Agent.greet(Hello(name: "")) }
            #expect(\(typeName)Agent.make().capabilityNames == ["\(capability)"])
        }

        """
    }
}
