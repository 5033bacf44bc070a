@testable import ColonySupervisor
import Foundation
import Testing

/// The supervisor with real child processes (sh), on fast timings.
@Suite struct SupervisorTests {
    func supervisor() throws -> Supervisor {
        try Supervisor(logDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("supervisor-\(UUID().uuidString.prefix(8))"))
    }

    /// Collects events until one matches `stop` (bounded by `timeout`).
    func events(of supervisor: Supervisor, until stop: @escaping @Sendable (SupervisorEvent) -> Bool, timeout: Duration = .seconds(20)) async -> [SupervisorEvent] {
        await withTaskGroup(of: [SupervisorEvent]?.self) { group in
            group.addTask {
                var seen: [SupervisorEvent] = []
                for await event in supervisor.events {
                    seen.append(event)
                    if stop(event) { break }
                }
                return seen
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? []
        }
    }

    /// Replica 1's log of `agent` once it ends with `suffix`: the pipe drains after the agent
    /// exits, so this waits (a minute at most) and returns what the file holds by then.
    func log(of supervisor: Supervisor, agent: String, endingWith suffix: String) async throws -> String {
        let log = supervisor.logDirectory.appendingPathComponent("\(agent)-1.log").path
        var current = ""
        for _ in 0..<600 {
            current = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if current.hasSuffix(suffix) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return current
    }

    @Test func aCrashLoopingAgentIsRestartedWithBackoffThenMarkedFailed() async throws {
        let supervisor = try supervisor()
        var spec = AgentSpec(name: "crasher", command: ["sh", "-c", "exit 3"], restart: .always)
        spec.backoff = .init(initial: .milliseconds(20), max: .milliseconds(100), multiplier: 2)
        spec.crashLoop = .init(restarts: 3, window: .seconds(30))
        await supervisor.start([spec])
        let seen = await events(of: supervisor) { if case .gaveUp = $0.kind { return true } else { return false } }
        let delays = seen.compactMap { event -> Duration? in if case .restarting(let delay) = event.kind { return delay } else { return nil } }
        #expect(delays == [.milliseconds(20), .milliseconds(40), .milliseconds(80)])
        #expect(seen.filter { if case .exited(_, let status) = $0.kind { return status.code == 3 } else { return false } }.count == 4)
        #expect(await supervisor.status().first?.state == .failed)
        await supervisor.shutDown()
    }

    /// An agent starts with standard input, output and error only: none of the supervisor's
    /// descriptors, not even one numbered above 65,535 (the old close loop's end).
    @Test func anAgentInheritsNoDescriptorOfTheSupervisor() async throws {
        let supervisor = try supervisor()
        defer { try? FileManager.default.removeItem(at: supervisor.logDirectory) }
        let open = Foundation.open("/dev/null", O_RDONLY)  // without O_CLOEXEC
        defer { close(open) }
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        var high: Int32 = -1
        if limit.rlim_max > 70_000 {
            limit.rlim_cur = max(limit.rlim_cur, 70_001)
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            high = dup2(open, 70_000)
        }
        defer { if high >= 0 { close(high) } }
        await supervisor.start([AgentSpec(name: "lister", command: ["sh", "-c", "ls /proc/$$/fd; echo listed"], restart: .never)])
        _ = await events(of: supervisor) { if case .exited = $0.kind { return true } else { return false } }
        let output = try await log(of: supervisor, agent: "lister", endingWith: "listed\n")
        let listed = output.split(separator: "\n").filter { $0.allSatisfy(\.isNumber) }
        #expect(listed == ["0", "1", "2"], "\(output); the supervisor had \(open) and \(high) open")
        await supervisor.shutDown()
    }

    @Test func onFailureLeavesCleanExitsAlone() async throws {
        let supervisor = try supervisor()
        await supervisor.start([AgentSpec(name: "done", command: ["sh", "-c", "exit 0"], restart: .onFailure)])
        _ = await events(of: supervisor) { if case .exited = $0.kind { return true } else { return false } }
        try await Task.sleep(for: .milliseconds(200))
        let status = try #require(await supervisor.status().first)
        #expect(status.state == .stopped && status.restarts == 0 && status.lastExit?.isSuccess == true)
        await supervisor.shutDown()
    }

    @Test func stopEscalatesToSIGKILLAfterTheGracePeriod() async throws {
        let supervisor = try supervisor()
        var stubborn = AgentSpec(name: "stubborn", command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.05; done"])
        stubborn.gracePeriod = .milliseconds(300)
        await supervisor.start([stubborn])
        _ = await events(of: supervisor) { if case .started = $0.kind { return true } else { return false } }
        try await Task.sleep(for: .milliseconds(100))
        try await supervisor.stop("stubborn")
        let status = try #require(await supervisor.status().first)
        #expect(status.state == .stopped)
        #expect(status.lastExit?.signal == SIGKILL)
        await supervisor.shutDown()
    }

    @Test func shuttingDownStopsEveryAgentAndEndsTheSupervisorThread() async throws {
        let supervisor = try supervisor()
        let thread = "/proc/self/task/\(supervisor.threadID)"
        #expect(FileManager.default.fileExists(atPath: thread))
        await supervisor.start([AgentSpec(name: "sleeper", command: ["sh", "-c", "exec sleep 600"])])
        _ = await events(of: supervisor) { if case .started = $0.kind { return true } else { return false } }
        let pid = try #require(await supervisor.status().first?.pid)
        await supervisor.shutDown()
        #expect(kill(pid, 0) != 0, "the agent is gone")
        var ended = false
        for _ in 0..<1000 where !ended {
            ended = !FileManager.default.fileExists(atPath: thread)
            if !ended { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(ended, "the supervisor's thread ended")
        // The actor still answers after its thread is gone.
        #expect(await supervisor.status().first?.state == .stopped)
    }

    @Test func unknownAgentsAndCommandsAreClearErrors() async throws {
        let supervisor = try supervisor()
        await #expect(throws: SupervisorError.unknownAgent("ghost", known: [])) { try await supervisor.spawn("ghost") }
        await supervisor.start([AgentSpec(name: "missing", command: ["/no/such/program"])])
        let seen = await events(of: supervisor) { if case .spawnFailed = $0.kind { return true } else { return false } }
        #expect(seen.last.map { "\($0)" }?.contains("No such file") == true)
        #expect(await supervisor.status().first?.state == .failed)
        await supervisor.shutDown()
    }

    /// An agent that prints more than its log may hold: the log is moved aside to `.log.1` and
    /// a new one begins, so neither passes the bound, and the newest output, the last line
    /// printed before the agent died included, is in the current file.
    @Test func aLogIsBoundedAndKeepsTheNewestOutput() async throws {
        let supervisor = try supervisor()
        defer { try? FileManager.default.removeItem(at: supervisor.logDirectory) }
        // 3 MiB of numbered lines, then last words, then a failure.
        var talker = AgentSpec(name: "talker", command: ["sh", "-c", "seq 1 400000; echo last words; exit 3"], restart: .never)
        talker.logMaximumBytes = AgentSpec.smallestLogMaximum
        await supervisor.start([talker])
        _ = await events(of: supervisor) { if case .exited = $0.kind { return true } else { return false } }
        let log = supervisor.logDirectory.appendingPathComponent("talker-1.log").path
        let current = try await self.log(of: supervisor, agent: "talker", endingWith: "last words\n")
        #expect(current.hasSuffix("400000\nlast words\n"))
        let sizes = try [log, log + ".1"].map { try #require(FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) }
        #expect(sizes.allSatisfy { $0 <= Int(AgentSpec.smallestLogMaximum) }, "\(sizes)")
        #expect(sizes.reduce(0, +) > Int(AgentSpec.smallestLogMaximum), "the file before is kept")
        // The one before holds the lines just before the current file's first.
        let previous = try String(contentsOfFile: log + ".1", encoding: .utf8)
        let firstNow = try #require(current.split(separator: "\n").first.flatMap { Int($0) })
        #expect(previous.hasSuffix("\n\(firstNow - 1)\n"))
        await supervisor.shutDown()
    }

    /// Hostile output: one 3 MB line with no newline, past a 1 MiB bound. The log is cut where
    /// it must, so no file passes the bound, and what follows still arrives.
    @Test func aLineLongerThanTheBoundStillKeepsEveryFileWithinIt() async throws {
        let supervisor = try supervisor()
        defer { try? FileManager.default.removeItem(at: supervisor.logDirectory) }
        var flooder = AgentSpec(name: "flooder", command: ["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo last words"],
                                restart: .never)
        flooder.logMaximumBytes = AgentSpec.smallestLogMaximum
        await supervisor.start([flooder])
        _ = await events(of: supervisor) { if case .exited = $0.kind { return true } else { return false } }
        let log = supervisor.logDirectory.appendingPathComponent("flooder-1.log").path
        let current = try await self.log(of: supervisor, agent: "flooder", endingWith: "last words\n")
        #expect(current.hasSuffix("aaa\nlast words\n"))
        let sizes = try [log, log + ".1"].map { try #require(FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) }
        #expect(sizes.allSatisfy { $0 <= Int(AgentSpec.smallestLogMaximum) }, "\(sizes)")
        await supervisor.shutDown()
    }
}
