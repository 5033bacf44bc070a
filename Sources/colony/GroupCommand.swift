import ColonyCore
import ArgumentParser
import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyWire
import Foundation

/// `colony group …`: agents as groups — the members of a capability or of a named group.
struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "List groups (named groups and capabilities) and show their members.",
        subcommands: [List.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Named groups (agents.yaml `groups:`) and capabilities, with member counts.")
        @Flag(help: "Print the result as JSON.") var json = false
        @Flag(help: "Also list Colony's own capabilities (colony.*).") var all = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        struct Entry: Codable {
            var group: String
            var kind: String
            var members: Int
        }

        func run() async throws {
            let directory = try await fetchDirectory(global: global, connection: connection, timeout: .seconds(5))
            var counts: [String: (kind: String, members: Int)] = [:]
            for agent in directory.agents {
                for group in agent.groups ?? [] { counts[group, default: ("group", 0)].members += 1 }
                for capability in agent.capabilities where counts[capability]?.kind != "group" && (all || !capability.hasPrefix("colony.")) {
                    counts[capability, default: ("capability", 0)].members += 1
                }
            }
            let entries = counts.keys.sorted().map { Entry(group: $0, kind: counts[$0]!.kind, members: counts[$0]!.members) }
            if json {
                Console.line(prettyJSON(entries))
                return
            }
            var table = Table("GROUP", "KIND", "MEMBERS")
            for entry in entries { table.add(entry.group, entry.kind, "\(entry.members)") }
            Console.line(table.rendered)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The members of a group: instance ids (to address them one by one), names, state.")
        @Argument(help: "A named group or a capability.") var name: String
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        struct Shown: Encodable {
            var group: String
            var leader: String?
            var term: UInt64?
            var members: [AgentRecord]
            var decisions: [CoordinationAPI.Decision]
        }

        func run() async throws {
            let configuration = try global.loadConfiguration()
            let client = ColonyClient(endpoints: connection.clientEndpoints(configuration), credentials: try connection.credentials(configuration))
            let members: GroupMembers
            do {
                members = try await client.management(ManagementService.group, argument: name).decode(GroupMembers.self)
            } catch {
                throw report(error)
            }
            // The leader, when an orchestrator coordinates the group.
            let leadership = try? await client.request(CoordinationAPI.status, CoordinationAPI.GroupRequest(group: GroupName(name)),
                                                       as: [Leadership].self, timeout: .seconds(3)).first
            let decisions = (try? await client.request(CoordinationAPI.decisions, CoordinationAPI.GroupRequest(group: GroupName(name)),
                                                       as: [CoordinationAPI.Decision].self, timeout: .seconds(3))) ?? []
            if json {
                Console.line(prettyJSON(Shown(group: name, leader: leadership?.leader?.rawValue, term: leadership?.term, members: members.members,
                                              decisions: decisions)))
                return
            }
            if let leadership {
                Console.line("leader  \(leadership.leader ?? "none")  (term \(leadership.term))")
            }
            guard !members.members.isEmpty else {
                let directory = try? await client.directory()
                let known = Set((directory?.capabilities.map(\.name) ?? []) + (directory?.agents.flatMap { $0.groups ?? [] } ?? [])).sorted()
                guard known.contains(name) else {
                    let near = didYouMean(name, in: known).map { " (\($0))" } ?? ""
                    Console.error("error: no group or capability named '\(name)'\(near)")
                    throw ExitCode(ExitStatus.usage)
                }
                Console.error("error: no agent is a member of '\(name)' now")
                throw ExitCode(ExitStatus.noAgent)
            }
            var table = Table("INSTANCE", "AGENT", "PID", "STATE", "BUSY", "GROUPS")
            for agent in members.members {
                table.add((agent.instance?.rawValue ?? agent.identity) + (agent.instance != nil && agent.instance == leadership?.leader ? " *" : ""), agent.name, agent.pid.map(String.init) ?? "-", agent.state,
                          "\(agent.busy)/\(agent.capacity)", (agent.groups ?? []).joined(separator: ","))
            }
            Console.line(table.rendered)
            if !decisions.isEmpty {
                Console.line("")
                var recent = Table("ROUND", "KIND", "DECISION", "OPENED")
                for decision in decisions { recent.add(decision.round, decision.kind, decision.decision ?? "open", decision.openedAt.timestamp) }
                Console.line(recent.rendered)
            }
        }
    }
}
