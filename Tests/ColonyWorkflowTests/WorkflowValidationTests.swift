import ColonyWorkflow
import ColonyYAML
import Foundation
import Testing

@Suite struct WorkflowValidationTests {
    /// Parses and validates `text`, returning workflows and every problem.
    func check(_ text: String) -> (workflows: [WorkflowDefinition], problems: [ConfigError]) {
        var parser = WorkflowParser()
        let workflows = parser.parse(text, file: "w.yaml")
        return (workflows, parser.errors + workflows.flatMap(WorkflowValidator.problems(in:)))
    }

    @Test func aFullWorkflowParses() throws {
        let (workflows, problems) = check("""
        workflows:
          - name: market_snapshot
            version: 2
            inputs:
              symbols: {type: array, default: [AAPL]}
              limit: integer
            timeout: 5m
            on_error: alert
            steps:
              - id: fetch
                capability: market.quote
                params: {symbols: "${input.symbols}"}
                retry: {max_attempts: 5, initial_interval: 1s, backoff_coefficient: 2, max_interval: 10s, jitter: 0.2, non_retryable_errors: [bad_request]}
                timeout: 2s
                overall_timeout: 30s
              - id: store
                capability: db.write
                depends_on: [fetch]
                condition: steps.fetch.output.count > 0
                on_failure: continue
                params: {rows: "${steps.fetch.output.rows}"}
            handlers:
              - id: alert
                capability: notify.send
                params: {text: "${failure.step} failed: ${failure.error.message}"}
        """)
        #expect(problems.isEmpty, "\(problems)")
        let workflow = try #require(workflows.first)
        #expect(workflow.version == 2 && workflow.timeout == .seconds(300) && workflow.onError == "alert")
        #expect(workflow.inputs.map(\.name) == ["symbols", "limit"])
        #expect(workflow.inputs[0].required == false && workflow.inputs[1].required)
        let fetch = try #require(workflow.step("fetch"))
        #expect(fetch.retry.maxAttempts == 5 && fetch.retry.nonRetryableErrorCodes == ["bad_request"])
        #expect(fetch.retry.delay(after: 1) == .seconds(1) && fetch.retry.delay(after: 3) == .seconds(4) && fetch.retry.delay(after: 9) == .seconds(10))
        #expect(workflow.step("store")?.onFailure == .continue)
        #expect(workflow.step("store")?.condition != nil)
    }

    @Test func singleWorkflowFilesParseToo() {
        let (workflows, problems) = check("name: solo\nsteps:\n  - id: one\n    capability: echo\n")
        #expect(problems.isEmpty && workflows.map(\.name) == ["solo"])
    }

    @Test func graphProblemsAreNamedWithHints() {
        let (_, problems) = check("""
        name: dag
        inputs: {symbols: array}
        steps:
          - id: fetch
            capability: echo
            params: {s: "${input.symbol}"}
          - id: price
            capability: echo
            params: {p: "${steps.fetch.output.x}"}
          - id: a
            capability: echo
            depends_on: [b]
          - id: b
            capability: echo
            depends_on: [a, fetc]
            on_failure: {compensate: nobody}
        """)
        let messages = problems.map { "\($0.line ?? 0): \($0.message) | \($0.hint ?? "")" }
        #expect(messages.contains { $0.hasPrefix("4:") && $0.contains("undeclared input 'symbol'") && $0.contains("did you mean 'symbols'?") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("7:") && $0.contains("does not run after it") && $0.contains("add 'fetch' to its depends_on") }, "\(messages)")
        #expect(messages.contains { $0.contains("cycle: a → b → a") }, "\(messages)")
        #expect(messages.contains { $0.contains("unknown step 'fetc'") && $0.contains("did you mean 'fetch'?") }, "\(messages)")
        #expect(messages.contains { $0.contains("unknown handler 'nobody'") }, "\(messages)")
    }

    @Test func fieldProblemsAreCollectedNotJustTheFirst() {
        let (_, problems) = check("""
        name: typos
        inputs:
          n: {type: number, default: "ten"}
        steps:
          - id: one
            capability: echo
            retyr: {max_attempts: 2}
          - id: two
            capability: echo
            condition: "input.n > && 1"
            on_failure: sometimes
          - name: three
            capability: echo
          - id: four
            capability: \(String(repeating: "x", count: 256))
        """)
        let lines = Set(problems.compactMap(\.line))
        #expect(problems.count >= 6, "\(problems)")
        #expect(problems.contains { $0.message.contains("step 'four' asks a capability of 256 bytes; a name is at most 255") && $0.line == 15 },
                "\(problems)")
        #expect(problems.contains { $0.hint == "did you mean 'retry'?" })
        #expect(problems.contains { $0.message.contains("default of input 'n' is a string, not a number") })
        #expect(problems.contains { $0.message.contains("needs an 'id'") && $0.hint?.contains("display name") == true })
        #expect(lines.contains(7) && lines.contains(10) && lines.contains(11))
    }

    @Test func aWaitForStepNamesItsSignalAndTakesNoCapabilityParamsOrRetry() throws {
        let (workflows, fine) = check("""
        name: approval
        steps:
          - {id: approve, wait_for: {signal: approve, timeout: 24h}}
          - {id: ship, capability: ship, depends_on: [approve], params: {ok: "${steps.approve.output.ok}"}}
        """)
        #expect(fine.isEmpty, "\(fine)")
        let step = try #require(workflows.first?.steps.first)
        #expect(step.waitFor == SignalWait(signal: "approve", timeout: .seconds(86_400)) && step.capability == "signal:approve")
        #expect(workflows.first?.signals == ["approve"])

        let (_, problems) = check("""
        name: wrong
        steps:
          - {id: both, capability: work, wait_for: {signal: go}}
          - {id: extras, wait_for: {signal: go}, params: {a: 1}, retry: {max_attempts: 2}, timeout: 5s}
          - {id: nameless, wait_for: {timeout: 1h}}
          - {id: instant, wait_for: {signal: go, timeout: 0s}}
          - {id: odd, wait_for: {signal: "go now!"}}
        """)
        #expect(problems.contains { $0.message.contains("step 'both' has both 'capability' and 'wait_for'") && $0.line == 3 }, "\(problems)")
        #expect(problems.contains { $0.message.contains("'params' does not apply") && $0.line == 4 })
        #expect(problems.contains { $0.message.contains("'retry' does not apply") })
        #expect(problems.contains { $0.message.contains("'timeout' does not apply") && $0.hint?.contains("wait_for: {signal: NAME, timeout: 24h}") == true })
        #expect(problems.contains { $0.message.contains("'wait_for' needs a 'signal' name") && $0.line == 5 })
        #expect(problems.contains { $0.message.contains("must be more than 0") && $0.line == 6 })
        #expect(problems.contains { $0.message.contains("may contain only letters") && $0.line == 7 })

        let (_, routed) = check("""
        name: routed
        steps:
          - {id: one, capability: work, agent: beta, coordination: {mode: leader_follower}}
          - {id: two, workflow: child, agent: beta}
        """)
        #expect(routed.contains { $0.message.contains("names an 'agent' and has 'coordination'") && $0.line == 3 }, "\(routed)")
        #expect(routed.contains { $0.message.contains("names an 'agent' and has 'workflow'") && $0.line == 4 })
    }

    @Test func aTriggerNamesItsEventAndReadsOnlyTheEvent() throws {
        let (workflows, fine) = check("""
        name: on_ship
        inputs: {order: {type: string}}
        trigger: {event: orders.*, when: "${event.total} > 100", input: {order: "${event.id}"}, dedupe: "${event.id}"}
        steps:
          - {id: audit, capability: echo, params: {order: "${input.order}"}}
        """)
        #expect(fine.isEmpty, "\(fine)")
        let trigger = try #require(workflows.first?.triggered)
        #expect(trigger.matches("orders.shipped") && !trigger.matches("ordersx") && trigger.subscription == "orders.")
        #expect(workflows.first?.canonicalSource.contains("\"trigger\"") == true, "the stored version keeps the trigger")

        for (yaml, message) in [
            ("trigger: {when: \"${event.a} > 1\"}", "needs an 'event' topic"),
            ("trigger: {event: \"bad topic!\"}", "must be a topic"),
            ("trigger: {event: t, when: \"${input.order} == 1\"}", "a trigger sees only ${event.PATH}"),
            ("trigger: {event: t, input: {nope: 1}}", "input 'nope' is not a declared input"),
            ("trigger: {event: t, dedupe: \"${steps.a.output}\"}", "a trigger sees only ${event.PATH}"),
            ("trigger: {event: t, on: x}", "'on'"),
        ] {
            let (_, problems) = check("""
            name: wrong
            inputs: {order: {type: string}}
            \(yaml)
            steps:
              - {id: a, capability: echo}
            """)
            #expect(problems.contains { $0.message.contains(message) || $0.hint?.contains(message) == true }, "\(yaml): \(problems)")
        }
        let (_, leaked) = check("""
        name: leak
        steps:
          - {id: a, capability: echo, params: {x: "${event.id}"}}
        """)
        #expect(leaked.contains { $0.message.contains("the event is seen by the workflow's trigger only") }, "\(leaked)")
    }

    @Test func aForEachStepReadsItsElementUnderItsNameAndTheRestIsChecked() throws {
        let (workflows, fine) = check("""
        name: fan
        inputs: {symbols: {type: array}}
        steps:
          - {id: price, capability: quote, for_each: "${input.symbols}", as: symbol, max_parallel: 4, params: {s: "${symbol}", t: "${symbol.ticker}"}}
        """)
        #expect(fine.isEmpty, "\(fine)")
        let step = try #require(workflows.first?.steps.first)
        #expect(step.forEach == ForEach(items: "${input.symbols}", name: "symbol", maxParallel: 4))
        #expect(step.params == .object(["s": .string("${item}"), "t": .string("${item.ticker}")]), "the element is read as ${item}")

        for (yaml, message) in [
            ("{id: a, capability: q, for_each: \"list: ${input.symbols}\"}", "must be one reference to a list"),
            ("{id: a, capability: q, for_each: \"${input.nope}\"}", "undeclared input 'nope'"),
            ("{id: a, capability: q, for_each: \"${input.symbols}\", as: input}", "'as' must be a name"),
            ("{id: a, capability: q, as: x}", "has 'as' but no 'for_each'"),
            ("{id: a, wait_for: {signal: s}, for_each: \"${input.symbols}\"}", "has 'for_each' and 'wait_for'"),
            ("{id: a, capability: q, params: {x: \"${item}\"}}", "only a for_each step's params can see"),
            ("{id: a, capability: q, for_each: \"${input.symbols}\", max_parallel: 0}", "max_parallel"),
        ] {
            let (_, problems) = check("""
            name: wrong
            inputs: {symbols: {type: array}}
            steps:
              - \(yaml)
            """)
            #expect(problems.contains { $0.description.contains(message) }, "\(yaml): \(problems)")
        }
    }

    @Test func electoratesAreDeclaredAsSeatsMembersOrLive() throws {
        func electorate(_ value: String, mode: String = "consensus") -> (StepCoordination.Electorate?, [ConfigError]) {
            let (workflows, problems) = check("name: v\nsteps:\n  - id: d\n    capability: vote\n    coordination: {mode: \(mode), electorate: \(value)}\n")
            return (workflows.first?.steps.first?.coordination?.electorate, problems)
        }
        #expect(electorate("5").0 == .size(5))
        #expect(electorate("[a, b, c]").0 == .members(["a", "b", "c"]))
        #expect(electorate("live").0 == .live)
        for bad in ["0", "most", "[a, a]", "[]"] {
            #expect(electorate(bad).1.contains { $0.message.contains("'electorate'") && $0.line == 5 }, "\(bad): \(electorate(bad).1)")
        }
        #expect(electorate("5", mode: "auction").1.contains { $0.message.contains("consensus steps only") })
        // The stored form keeps it, so a resumed run decides with the same electorate.
        let (workflows, _) = check("name: v\nsteps:\n  - id: d\n    capability: vote\n    coordination: {mode: consensus, electorate: [a, b]}\n")
        var parser = WorkflowParser()
        let reparsed = parser.parse(try #require(workflows.first).canonicalSource, file: "stored")
        #expect(reparsed.first?.steps.first?.coordination?.electorate == .members(["a", "b"]))
    }

    @Test func durationsBeyondRangeAreProblemsNotTraps() {
        let (_, problems) = check("""
        name: forever
        timeout: 1e300s
        steps:
          - id: one
            capability: echo
            timeout: inf
            retry: {initial_interval: 1e20d, max_interval: nan}
        """)
        let lines = problems.compactMap(\.line)
        #expect(lines.contains(2) && lines.contains(6) && lines.contains(7), "\(problems)")
        #expect(problems.allSatisfy { $0.message.contains("at most 100 years") }, "\(problems)")
        #expect(parseDuration("1e300") == nil && parseDuration("inf") == nil && parseDuration("nanms") == nil)
        #expect(parseDuration("36500d") == .seconds(36500 * 86400) && parseDuration("1.5s") == .milliseconds(1500))
    }

    @Test func theShippedWorkflowsAreValid() {
        let catalog = WorkflowCatalog.load(WorkflowCatalog.defaultPaths)
        #expect(catalog.problems.isEmpty, "\(catalog.problems)")
        #expect(catalog.workflows.map(\.name).contains("simple_test"))
    }
}

@Suite struct DurationUnitTests {
    func check(_ text: String) -> (workflows: [WorkflowDefinition], problems: [ConfigError]) { WorkflowValidationTests().check(text) }

    @Test func aBareNumberIsRefusedWithTheUnitsToChooseFrom() throws {
        let (_, problems) = check("""
        name: bare
        steps:
          - {id: fetch, capability: web.fetch, retry: {max_attempts: 3, initial_interval: 200}}
          - {id: slow, capability: work, timeout: 0s}
          - {id: fine, capability: work, timeout: 0.5s, retry: {max_attempts: 2, initial_interval: 0s}}
        """)
        #expect(problems.contains { $0.message.contains("'initial_interval' needs a unit: 200s, 200ms, 200m or 200h") && $0.line == 3 }, "\(problems)")
        #expect(problems.contains { $0.message.contains("'timeout' must be more than 0, not '0s'") && $0.line == 4 }, "\(problems)")
        #expect(problems.count == 2, "\(problems)")
    }
}

@Suite struct FootgunTests {
    @Test func duplicateDependenciesAndForeignTemplatesAreReported() {
        let (_, problems) = WorkflowValidationTests().check("""
        name: guns
        steps:
          - {id: a, capability: work}
          - {id: b, capability: work, depends_on: [a, a], params: {who: "{{ input.name }}"}}
        """)
        #expect(problems.contains { $0.message.contains("lists 'a' twice in depends_on") && $0.line == 4 }, "\(problems)")
        #expect(problems.contains { $0.message.contains("'{{ input.name }}'") && $0.hint?.contains("${input.name}") == true }, "\(problems)")
    }
}

@Suite struct OnePassValidationTests {
    /// A workflow with a problem the parser finds is still checked for the rest: fixing the
    /// first batch never reveals a second.
    @Test func everyProblemOfEveryWorkflowIsFoundInOnePass() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("one-pass-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        workflows:
          - name: one
            steps:
              - {id: a, capability: echo, retyr: {max_attempts: 2}}
              - {id: b, capability: echo, depends_on: [x]}
              - {id: c, capability: echo, timeout: 5}
          - name: two
            inputs: {n: number}
            steps:
              - {id: a, capability: echo, params: {v: "${input.m}"}}
        """.write(to: file, atomically: true, encoding: .utf8)
        let catalog = WorkflowCatalog.load([file.path])
        #expect(catalog.problems.map(\.line) == [4, 5, 6, 10], "\(catalog.problems)")
        #expect(catalog.problems[1].message.contains("depends on unknown step 'x'"))
        #expect(catalog.workflows.isEmpty, "neither is runnable")
    }
}
