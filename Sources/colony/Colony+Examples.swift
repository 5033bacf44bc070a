import ArgumentParser

/// A command whose help ends with examples: every leaf command has some, and the tests check
/// that each is a command line of that command.
protocol Exemplified {
    static var examples: [Example] { get }
}

/// One command line, with what it does.
struct Example: Sendable {
    let line: String
    let note: String

    init(_ line: String, _ note: String) {
        self.line = line
        self.note = note
    }
}

extension Colony {
    /// The help text of the command `arguments` name, with its examples at the end.
    static func helpWithExamples(_ help: String, arguments: [String]) -> String {
        guard let command = command(named: arguments) as? Exemplified.Type, !command.examples.isEmpty else { return help }
        let examples = command.examples.map { "  \($0.line)\n      \($0.note)" }.joined(separator: "\n")
        return help.trimmingCharacters(in: .newlines) + "\n\nEXAMPLES:\n" + examples + "\n"
    }

    /// The command the words of `arguments` name (`help` and flags skipped), as deep as they go.
    static func command(named arguments: [String]) -> ParsableCommand.Type {
        var current: ParsableCommand.Type = Colony.self
        for word in arguments.drop(while: { $0 == "help" }) where !word.hasPrefix("-") {
            guard let next = current.configuration.subcommands.first(where: { $0._commandName == word }) else { break }
            current = next
        }
        return current
    }
}

extension UpCommand: Exemplified {
    static let examples = [
        Example("colony up", "broker, orchestrator and the agents of configs/agents.yaml; Ctrl-C stops them in order"),
        Example("colony up --config deploy/colony.yaml --agents deploy/agents.yaml", "another colony's files"),
    ]
}

extension BrokerCommand: Exemplified {
    static let examples = [
        Example("colony broker", "the broker alone, on the endpoints of configs/colony.yaml"),
        Example("colony broker --endpoint tcp://127.0.0.1:0 --endpoints-file /tmp/bus.json", "free ports, written to a file"),
    ]
}

extension RequestCommand: Exemplified {
    static let examples = [
        Example(#"colony request math.add '{"a":10,"b":32}'"#, "prints {\"result\":42}"),
        Example("echo '{\"text\":\"hi\"}' | colony request echo - --timeout 5s --json", "body from standard input, reply with its metadata"),
    ]
}

extension PublishCommand: Exemplified {
    static let examples = [Example(#"colony publish market.tick '{"price":101.5}'"#, "one event; subscribers and triggers see it")]
}

extension WatchCommand: Exemplified {
    static let examples = [
        Example("colony watch 'workflow.*'", "one line per workflow event until Ctrl-C"),
        Example("colony watch market. --count 1 --json", "wait for the next market event, print it as JSON and exit"),
    ]
}

extension AgentCommand.List: Exemplified {
    static let examples = [Example("colony agent list", "who is connected, how busy, what it offers")]
}

extension AgentCommand.Info: Exemplified {
    static let examples = [Example("colony agent info math", "the agent's instances and its capabilities' descriptions")]
}

extension AgentCommand.Run: Exemplified {
    static let examples = [Example("colony agent run math --concurrency 4", "the example math agent in this terminal")]
}

extension AgentCommand.Spawn: Exemplified {
    static let examples = [Example("colony agent spawn math --replicas 3", "run three replicas of agents.yaml's math")]
}

extension AgentCommand.Stop: Exemplified {
    static let examples = [Example("colony agent stop echo", "SIGTERM every replica, SIGKILL after its grace period")]
}

extension AgentCommand.Restart: Exemplified {
    static let examples = [Example("colony agent restart math", "one replica after the other")]
}

extension AgentCommand.Logs: Exemplified {
    static let examples = [Example("colony agent logs math --follow --tail 20", "the last 20 lines of each replica, then new ones")]
}

extension WorkflowCommand.List: Exemplified {
    static let examples = [Example("colony workflow list", "the workflows the orchestrator knows, with their versions")]
}

extension WorkflowCommand.Validate: Exemplified {
    static let examples = [
        Example("colony workflow validate", "every workflow file of configs/colony.yaml; each problem with file and line"),
        Example("colony workflow validate flows/billing.yaml --json", "one file, problems as JSON"),
        Example("colony workflow validate --live", "also: is every step's capability offered by a connected agent?"),
    ]
}

extension WorkflowCommand.Run: Exemplified {
    static let examples = [
        Example(#"colony workflow run simple_test --input '{"a":2,"b":3}' --wait"#, "start a run and follow it to the end"),
        Example("colony workflow run nightly --id nightly-2026-11-29 --tag team=data", "at most one run with this id"),
    ]
}

extension WorkflowCommand.Show: Exemplified {
    static let examples = [Example("colony workflow show RUN --transitions", "a run's steps, attempts and every transition")]
}

extension WorkflowCommand.History: Exemplified {
    static let examples = [Example("colony workflow history simple_test --status failed --since 1d", "the failed runs of the last day")]
}

extension WorkflowCommand.Stats: Exemplified {
    static let examples = [Example("colony workflow stats simple_test", "runs by status and duration percentiles")]
}

extension WorkflowCommand.Cancel: Exemplified {
    static let examples = [Example("colony workflow cancel RUN --reason 'wrong input'", "nothing more is dispatched; agents are told to stop")]
}

extension WorkflowCommand.Pause: Exemplified {
    static let examples = [Example("colony workflow pause RUN", "hold new dispatches until resumed")]
}

extension WorkflowCommand.Resume: Exemplified {
    static let examples = [Example("colony workflow resume RUN", "dispatch what the pause held back")]
}

extension WorkflowCommand.Signal: Exemplified {
    static let examples = [Example(#"colony workflow signal RUN approve --data '{"ok":true}'"#, "the step waiting for 'approve' succeeds with this output")]
}

extension WorkflowCommand.Retry: Exemplified {
    static let examples = [Example("colony workflow retry RUN --from charge", "a new run: 'charge' and what depends on it run again")]
}

extension OrchestratorCommand: Exemplified {
    static let examples = [
        Example("colony orchestrator", "the orchestrator alone, with the database and workflows of configs/colony.yaml"),
        Example("colony orchestrator --database postgres://colony@db:5432/colony --no-http", "a second host's orchestrator on a shared database"),
    ]
}

extension ScheduleCommand.List: Exemplified {
    static let examples = [Example("colony schedule list", "every schedule, its next tick and its last outcome")]
}

extension ScheduleCommand.Pause: Exemplified {
    static let examples = [Example("colony schedule pause nightly --reason 'db maintenance'", "no ticks until resumed")]
}

extension ScheduleCommand.Resume: Exemplified {
    static let examples = [Example("colony schedule resume nightly", "ticks again from the next one")]
}

extension ScheduleCommand.Trigger: Exemplified {
    static let examples = [Example("colony schedule trigger nightly", "one run now, outside the schedule")]
}

extension ScheduleCommand.Add: Exemplified {
    static let examples = [
        Example("colony schedule add poll --workflow simple_test --every 30s", "a run every 30 seconds"),
        Example("colony schedule add nightly --workflow report --cron '0 1 * * *' --timezone Europe/Paris", "at 01:00 Paris time"),
    ]
}

extension ScheduleCommand.Remove: Exemplified {
    static let examples = [Example("colony schedule remove poll", "a schedule added with `schedule add`")]
}

extension ScheduleCommand.Ticks: Exemplified {
    static let examples = [Example("colony schedule ticks nightly --limit 10", "the last ten ticks and what each did")]
}

extension TriggerCommand.List: Exemplified {
    static let examples = [Example("colony trigger list", "event triggers, their filters and firing counts")]
}

extension TriggerCommand.Log: Exemplified {
    static let examples = [Example("colony trigger log place_order --limit 5", "the last five firings of one workflow's trigger")]
}

extension QueueCommand: Exemplified {
    static let examples = [Example("colony queue", "runs waiting to start and why, steps waiting for resources")]
}

extension GroupCommand.List: Exemplified {
    static let examples = [Example("colony group list", "named groups and capabilities with their members")]
}

extension GroupCommand.Show: Exemplified {
    static let examples = [Example("colony group show math", "a group's members, leader and recent rounds")]
}

extension SystemCommand.Health: Exemplified {
    static let examples = [Example("colony system health --json", "is the broker reachable, and who is connected")]
}

extension KeysCommand.Initialize: Exemplified {
    static let examples = [Example("colony keys init", "the broker's and the operator's key pairs in .colony/keys")]
}

extension KeysCommand.List: Exemplified {
    static let examples = [Example("colony keys list", "every key allowed on the bus, with its role")]
}

extension KeysCommand.Add: Exemplified {
    static let examples = [
        Example("colony keys add billing --role agent --offers 'billing.*'", "prints the COLONY_CURVE_* lines to give the agent"),
        Example("colony keys add dashboard --role client --requests 'report.*'", "a client that may ask report.* only"),
    ]
}

extension KeysCommand.Revoke: Exemplified {
    static let examples = [Example("colony keys revoke billing", "refused from now on; its connections are dropped")]
}

extension NewAgent: Exemplified {
    static let examples = [Example("colony new agent pricing --lang python --capability pricing.quote", "a runnable agent in agents/pricing, added to configs/agents.yaml")]
}
