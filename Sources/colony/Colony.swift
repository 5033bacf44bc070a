import ArgumentParser

#if !os(Linux)
#error("Colony runs on Linux: its supervisor forks with PR_SET_PDEATHSIG and its broker returns memory with glibc's malloc_trim.")
#endif

/// `colony`: the one executable of Colony — broker, agents, and the tools to talk to them.
@main
struct Colony: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "colony",
        abstract: "A message bus for multi-agent systems: broker, agents, requests and events over ZeroMQ.",
        discussion: ExitStatus.table,
        version: "0.1.0",
        subcommands: [
            UpCommand.self,
            BrokerCommand.self,
            RequestCommand.self,
            PublishCommand.self,
            WatchCommand.self,
            AgentCommand.self,
            WorkflowCommand.self,
            OrchestratorCommand.self,
            ScheduleCommand.self,
            TriggerCommand.self,
            QueueCommand.self,
            GroupCommand.self,
            SystemCommand.self,
            KeysCommand.self,
            NewCommand.self,
        ]
    )
}
