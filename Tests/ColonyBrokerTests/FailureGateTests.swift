import ColonyTestSupport
import ColonyWire
import Foundation
import Testing
import ColonyCore
import ZeroMQ
@testable import ColonyBroker

@Suite struct FailureGateTests {
    func request(_ client: Peer, _ service: String, run: String, id: UInt64) async throws {
        try client.send([MDP.client02, [0x01], bytes(service), ColonyHeader(requestID: id, correlationID: run).encoded(), bytes("{}")])
    }

    func mmi(_ client: Peer, _ service: String, _ body: String = "") async throws -> String {
        try client.send([MDP.client02, [0x01], bytes(service), bytes(body)])
        return text(try #require(try await client.receive())[3])
    }

    /// How many requests wait for `capability`, from the broker's directory.
    func requestsWaiting(for capability: String, asking client: Peer) async throws -> Int {
        let directory = try JSONDecoder().decode(Directory.self, from: Data(try await mmi(client, ManagementService.directory).utf8))
        return directory.capabilities.first { $0.name == capability }?.queued ?? 0
    }

    @Test func aFailedRunsRequestsAreAnsweredAndRefused() async throws {
        // An hour's expiry: the queued requests are answered by the gate or served, never expired.
        let broker = try RunningBroker(expiry: .seconds(3600))
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try await request(client, "risk.check", run: "run-7", id: 1)
        try await request(client, "risk.check", run: "run-8", id: 2)
        let admin = try Peer(.dealer, connectTo: broker.endpoints.requests)
        #expect(try await until { try await requestsWaiting(for: "risk.check", asking: admin) == 2 }, "both requests wait for an agent")
        let answer = try await mmi(admin, ManagementService.failRun, #"{"run":"run-7","status":"failed","reason":"cash balance negative","atMilliseconds":1}"#)
        #expect(answer.contains("\"queuedAnswered\":1"), "\(answer)")

        let queued = try #require(try await client.receive())
        let header = try ColonyHeader(decoding: queued[3])
        #expect(header.requestID == 1 && header.error?.code == .workflowFailed)
        #expect(header.error?.message.contains("cash balance negative") == true)

        try await request(client, "risk.check", run: "run-7", id: 3)
        let refused = try ColonyHeader(decoding: try #require(try await client.receive())[3])
        #expect(refused.requestID == 3 && refused.error?.code == .workflowFailed)

        // Other runs are untouched: run-8 is still queued and is served when an agent comes.
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([MDP.worker02, [0x01], bytes("risk.check")])
        let work = try #require(try await worker.receiveSkippingHeartbeats())
        try worker.send([MDP.worker02, [0x04], work[2], [], bytes("ok")])
        let served = try #require(try await client.receive())
        #expect(try ColonyHeader(decoding: served[3]).requestID == 2 && served[4] == bytes("ok"))

        let list = try JSONDecoder().decode([FailedRun].self, from: Data(try await mmi(admin, ManagementService.failedRuns).utf8))
        #expect(list.map(\.run) == ["run-7"])
        try admin.send([MDP.client02, [0x01], bytes(ManagementService.failRun), bytes("nonsense")])
        #expect(text(try #require(try await admin.receive())[3]).contains("bad_request"))
    }

    @Test func theTableIsBoundedInCountAndAge() {
        var table = FailedRunTable(capacity: 3, timeToLive: .seconds(10))
        let start = MonotonicTime(nanoseconds: 1_000_000_000)
        for index in 0..<5 {
            table.record(FailedRun(run: "r\(index)", reason: "x"), now: start + .seconds(index))
        }
        #expect(table.count == 3)
        #expect(table.failure(of: "r0") == nil && table.failure(of: "r4") != nil)
        let isNew = table.record(FailedRun(run: "r2", reason: "again"), now: start + .seconds(6))
        #expect(!isNew, "a refresh is not new")
        table.expire(now: start + .seconds(15))
        #expect(table.all.map(\.run) == ["r2"], "r3 and r4 aged out; r2 was refreshed")
        #expect(table.failure(of: "r2")?.reason == "again")
    }

    @Test func completionsNeverPushAFailureOut() {
        var tables = EndedRunTables(capacity: 2, timeToLive: .seconds(10))
        let now = MonotonicTime(nanoseconds: 1_000_000_000)
        tables.record(FailedRun(run: "bad", reason: "boom"), now: now)
        for index in 0..<100 {
            tables.record(FailedRun(run: "ok\(index)", status: RunEnd.completed, reason: "done"), now: now)
        }
        #expect(tables.ending(of: "bad")?.stopsWork == true)
        #expect(tables.ending(of: "ok99")?.status == RunEnd.completed && tables.ending(of: "ok0") == nil)
        #expect(tables.stoppedCount == 1)
    }
}

/// A broker that has just started holds the requests of runs until the orchestrator has
/// re-announced the runs that ended (or its recovery period is over).
@Suite(.serialized) struct GateRecoveryTests {
    @Test func requestsOfRunsWaitUntilTheGateIsInSync() async throws {
        // An hour's expiry: the held requests are answered by the gate, never by expiring.
        let broker = try RunningBroker(expiry: .seconds(3600)) { $0.gateRecovery = .seconds(60) }
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker02, [0x01], bytes("work"), ColonyHeader(agent: "w", capabilities: ["work"], capacity: 10).encoded()])
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        func request(_ id: UInt64, run: String?) async throws {
            try client.send([MDP.client02, [0x01], bytes("work"), ColonyHeader(requestID: id, correlationID: run).encoded(), bytes("\(id)")])
        }
        try await request(1, run: "ended-run")
        try await request(2, run: "live-run")
        try await request(3, run: nil)
        let first = try #require(try await worker.receiveSkippingHeartbeats())
        #expect(first.last == bytes("3"), "a request outside any run is not held")
        #expect(try await worker.receiveSkippingHeartbeats(timeout: .milliseconds(300)) == nil, "requests of runs wait")
        let ended = [FailedRun(run: "ended-run", status: .cancelled, reason: "by hand"), FailedRun(run: "done", status: .completed, reason: "ok")]
        try client.send([MDP.client02, [0x01], bytes("mmi.gate.fail"), Array(try JSONEncoder().encode(ended))])
        #expect(text(try #require(try await client.receive()).last!).contains("\"ok\":true"))
        try client.send([MDP.client02, [0x01], bytes("mmi.gate.synced")])
        var answers: [UInt64: ColonyHeader] = [:]
        while answers[1] == nil, let reply = try await client.receive() {
            guard reply.count >= 4, let header = try? ColonyHeader(decoding: reply[3]), let id = header.requestID else { continue }
            answers[id] = header
        }
        #expect(answers[1]?.error?.code == .workflowFailed, "the ended run's request is refused")
        let second = try #require(try await worker.receiveSkippingHeartbeats())
        #expect(second.last == bytes("2"), "the live run's request goes through once in sync")
        try client.send([MDP.client02, [0x01], bytes("mmi.boot")])
        let boot = text(try #require(try await client.receive()).last!)
        let other = try RunningBroker()
        let asker = try Peer(.dealer, connectTo: other.endpoints.requests)
        try asker.send([MDP.client02, [0x01], bytes("mmi.boot")])
        let otherBoot = text(try #require(try await asker.receive()).last!)
        #expect(!boot.isEmpty && otherBoot != boot, "every broker instance has its own boot id")
    }
}
