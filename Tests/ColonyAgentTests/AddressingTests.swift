import ColonyBroker
import ColonyTestSupport
import ColonyWire
import Foundation
import Testing
@testable import ColonyAgent

/// Agents addressed one by one: by instance id, and listed as members of a group.
@Suite struct AddressingTests {
    struct Who: Codable, Sendable { var instance: String }
    struct Nap: Codable, Sendable { var ms: Int }

    /// An agent that answers `whoami` with its instance id, after `ms` milliseconds.
    func member(concurrency: Int) -> Agent {
        var agent = Agent(name: "member", concurrency: concurrency)
        agent.capability("whoami") { (nap: Nap, context) in
            try await Task.sleep(for: .milliseconds(nap.ms))
            return Who(instance: context.instance)
        }
        return agent
    }

    @Test func aRequestAddressedToAnInstanceReachesOnlyThatInstance() async throws {
        let broker = try startTestBroker()
        defer { broker.stop() }
        var tasks: [Task<Void, any Error>] = []
        defer { for task in tasks { task.cancel() } }
        for (instance, groups) in [("m1", ["voters"]), ("m2", ["voters", "leaders"]), ("m3", [])] {
            var options = testAgentOptions(broker.endpoints)
            options.instance = instance
            options.groups = groups
            let agent = member(concurrency: 1)
            tasks.append(Task { [options] in try await agent.run(options: options) })
        }
        let client = ColonyClient(endpoints: broker.endpoints)
        #expect(try await until { (try? await client.directory(timeout: .generous).agents.count) == 3 })

        for _ in 0..<10 {
            #expect(try await client.request("whoami", Nap(ms: 0), as: Who.self, instance: "m2").instance == "m2")
        }
        // A busy instance: addressed requests wait for it rather than going elsewhere.
        async let first = client.request("whoami", Nap(ms: 200), as: Who.self, instance: "m3")
        async let second = client.request("whoami", Nap(ms: 0), as: Who.self, instance: "m3")
        #expect(try await [first.instance, second.instance] == ["m3", "m3"])
        await #expect {
            _ = try await client.request("whoami", Nap(ms: 0), as: Who.self, instance: "nobody")
        } throws: { error in
            guard case .noAgent(_, let message) = error as? RequestError else { return false }
            return message.contains("nobody is not connected")
        }

        let voters = try await client.management(ManagementService.group, argument: "voters", timeout: .generous).decode(GroupMembers.self)
        #expect(voters.members.compactMap(\.instance) == ["m1", "m2"])
        let everyone = try await client.management(ManagementService.group, argument: "whoami", timeout: .generous).decode(GroupMembers.self)
        #expect(everyone.members.compactMap(\.instance) == ["m1", "m2", "m3"], "a capability is a group too")
    }
}
