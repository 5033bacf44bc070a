import ColonyYAML
import ColonyConfig
import ColonySupervisor
import ColonyWire
import Testing

@Suite struct AgentsConfigurationTests {
    let context = AgentsConfiguration.Context(
        colonyExecutable: "/usr/bin/colony", builtInAgents: ["echo", "math", "flaky", "voter", "bidder"],
        endpoints: BrokerEndpoints(requests: "tcp://127.0.0.1:7000"), heartbeatInterval: .milliseconds(500)
    )

    func parse(_ text: String) throws -> AgentsConfiguration {
        try AgentsConfiguration.parse(text, file: "agents.yaml", context: context)
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    @Test func anAgentMayDeclareWhatItOffersButNeverColonyOrMmi() throws {
        let configuration = try parse("agents:\n  - name: math\n    run: math\n    offers: [math.*]\n  - name: echo\n    run: echo\n")
        #expect(configuration.offers == ["math": ["math.*"]])
        let refused = error("agents:\n  - name: evil\n    run: echo\n    offers: [colony.workflow.run]\n")
        #expect(refused?.line == 4, "\(String(describing: refused))")
    }

    @Test func aLogsBoundIsFromOneMiBToOneTiB() throws {
        #expect(try parse("agents:\n  - name: math\n    run: math\n    log_max_bytes: 2097152\n").agents.first?.logMaximumBytes == 2_097_152)
        #expect(try parse("agents:\n  - name: math\n    run: math\n").agents.first?.logMaximumBytes == 64 << 20)
        #expect(error("agents:\n  - name: math\n    run: math\n    log_max_bytes: 1000\n")?.line == 4)
    }

    @Test func builtInAgentsBecomeColonyCommandLines() throws {
        let spec = try #require(try parse("agents:\n  - name: math\n    run: math\n    replicas: 2\n    concurrency: 4\n").agents.first)
        #expect(spec.command.prefix(4) == ["/usr/bin/colony", "agent", "run", "math"])
        #expect(spec.command.contains("tcp://127.0.0.1:7002"))
        #expect(spec.command.suffix(2) == ["--concurrency", "4"])
        #expect(spec.replicas == 2)
    }

    @Test func commandsGetEndpointsAndPolicies() throws {
        let text = """
        agents:
          - name: greeter
            command: sh -c true
            args: ["{endpoint}"]
            restart: always
            backoff: {initial: 100ms, max: 2s, multiplier: 3}
            crash_loop: {restarts: 2, window: 10s}
            grace_period: 1s
            output: echo
            environment: {A: "1"}
        """
        let spec = try #require(try parse(text).agents.first)
        #expect(spec.command == ["sh", "-c", "true", "tcp://127.0.0.1:7000"])
        #expect(spec.restart == .always)
        #expect(spec.backoff.delay(attempt: 1) == .milliseconds(100))
        #expect(spec.backoff.delay(attempt: 2) == .milliseconds(300))
        #expect(spec.backoff.delay(attempt: 9) == .seconds(2))
        #expect(spec.crashLoop.restarts == 2)
        #expect(spec.output == .echo)
        #expect(spec.environment == ["A": "1"])
    }

    /// agents.yaml groups declare consensus electorates under `colony up`: replicas per group.
    @Test func groupsAreCountedByReplicas() throws {
        let configuration = try parse("""
        agents:
          - {name: voter, run: voter, replicas: 5, groups: [voters, approvers]}
          - {name: judge, run: voter, groups: [approvers]}
          - {name: echo, run: echo}
        """)
        #expect(configuration.groupSizes == ["voters": 5, "approvers": 6])
        #expect(configuration.agents[0].environment["COLONY_AGENT_GROUPS"] == "voters,approvers")
    }

    @Test func mistakesAreLocatedWithHints() {
        let unknownKey = error("agents:\n  - name: a\n    run: echo\n    replica: 2\n")
        #expect(unknownKey?.line == 4 && unknownKey?.hint == "did you mean 'replicas'?")
        let noCommand = error("agents:\n  - name: a\n    replicas: 2\n")
        #expect(noCommand?.line == 2 && noCommand?.message.contains("needs 'run'") == true)
        let typo = error("agents:\n  - name: a\n    run: mathh\n")
        #expect(typo?.line == 3 && typo?.hint == "did you mean 'math'?")
        let missing = error("agents:\n  - name: a\n    command: [no-such-program-here]\n")
        #expect(missing?.line == 3 && missing?.message.contains("not found in PATH") == true)
        let both = error("agents:\n  - name: a\n    run: echo\n    command: sh\n")
        #expect(both?.message.contains("both 'run' and 'command'") == true)
        let twice = error("agents:\n  - name: a\n    run: echo\n  - name: a\n    run: math\n")
        #expect(twice?.line == 4 && twice?.hint == "first at line 2")
        let policy = error("agents:\n  - name: a\n    run: echo\n    restart: sometimes\n")
        #expect(policy?.line == 4)
        let backoff = error("agents:\n  - name: a\n    run: echo\n    backoff: {initial: 5s, max: 1s}\n")
        #expect(backoff?.message.contains("longer than 'max'") == true)
    }

    @Test func everyMistakeOfTheFileIsReportedInOnePass() throws {
        let problems = try #require(error("""
        agents:
          - name: a
            run: mathh
          - name: b
            run: echo
            replica: 2
          - name: c
            run: echo
            grace_period: 10
          - name: d
            run: echo
        """)).all
        #expect(problems.map(\.line) == [3, 6, 9], "\(problems)")
        #expect(problems.last?.message.contains("'grace_period' needs a unit: 10s, 10ms") == true, "\(problems)")
    }

    @Test func theShippedAgentsFileIsValid() throws {
        let configuration = try AgentsConfiguration.load(path: "configs/agents.yaml", context: context)
        #expect(configuration.agents.map(\.name) == ["echo", "math", "flaky", "voter", "bidder_cheap", "bidder_mid", "bidder_dear", "warehouse", "greeter"])
    }
}
