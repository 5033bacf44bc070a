@testable import ColonyAccess
import Foundation
import Synchronization
import Testing

/// Who may do what, and the files that say so.
@Suite struct AccessTests {
    let key1 = String(repeating: "a", count: 40)
    let key2 = String(repeating: "b", count: 40)

    @Test func rolesDecideWhatAKeyMayOfferRequestAndPublish() {
        let orchestrator = AccessEntry(name: "orchestrator", publicKey: key1, role: .orchestrator)
        let agent = AccessEntry(name: "math-1", publicKey: key2, role: .agent, offers: ["math.*"])
        let anyAgent = AccessEntry(name: "echo-1", publicKey: key2, role: .agent)
        let client = AccessEntry(name: "dashboard", publicKey: key2, role: .client, requests: ["report.*"])
        let person = AccessEntry(name: "operator", publicKey: key2, role: .operator)

        #expect(AccessPolicy.mayOffer("colony.workflow.run", orchestrator))
        #expect(!AccessPolicy.mayOffer("colony.workflow.run", agent) && !AccessPolicy.mayOffer("colony.workflow.run", anyAgent))
        #expect(!AccessPolicy.mayOffer("mmi.service", anyAgent))
        #expect(AccessPolicy.mayOffer("math.add", agent) && !AccessPolicy.mayOffer("billing.charge", agent))
        #expect(AccessPolicy.mayOffer("billing.charge", anyAgent))
        #expect(!AccessPolicy.mayOffer("math.add", client) && !AccessPolicy.mayOffer("math.add", person))

        #expect(AccessPolicy.mayRequest("mmi.gate.fail", orchestrator))
        #expect(!AccessPolicy.mayRequest("mmi.gate.fail", person) && !AccessPolicy.mayRequest("mmi.gate.synced", anyAgent))
        #expect(AccessPolicy.mayRequest("mmi.gate.check", anyAgent) && AccessPolicy.mayRequest("mmi.gate.list", anyAgent))
        #expect(AccessPolicy.mayRequest("colony.workflow.run", person))
        #expect(AccessPolicy.mayRequest("report.daily", client) && !AccessPolicy.mayRequest("math.add", client))
        let anyClient = AccessEntry(name: "app", publicKey: key2, role: .client)
        #expect(AccessPolicy.mayRequest("colony.workflow.run", anyClient) && AccessPolicy.mayRequest("colony.workflow.cancel", anyClient))
        #expect(!AccessPolicy.mayRequest("colony.supervisor.stop", anyClient) && !AccessPolicy.mayRequest("colony.schedule.pause", anyClient))
        #expect(!AccessPolicy.mayRequest("colony.workflow.cancel", client), "a client limited to report.* may not")

        #expect(AccessPolicy.mayPublish("workflow.failed", orchestrator) && AccessPolicy.mayPublish("coordination.leader.g", orchestrator))
        #expect(!AccessPolicy.mayPublish("workflow.failed", anyAgent) && !AccessPolicy.mayPublish("coordination.decided.g", anyAgent))
        #expect(!AccessPolicy.mayPublish("agent.joined", anyAgent))
        #expect(AccessPolicy.mayPublish("workflow.skipped", anyAgent), "the gate's skip reports")
        #expect(AccessPolicy.mayPublish("market.tick", anyAgent) && !AccessPolicy.mayPublish("market.tick", client))

        var revoked = person
        revoked.revoked = true
        #expect(!AccessPolicy.mayRequest("math.add", revoked) && !AccessPolicy.mayPublish("x", revoked))
    }

    @Test func theAccessFileRoundTripsAndSaysWhereItIsWrong() throws {
        var list = AccessList()
        try list.add(AccessEntry(name: "operator", publicKey: key1, role: .operator))
        try list.add(AccessEntry(name: "math \"1\"", publicKey: key2, role: .agent, offers: ["math.*"], publishes: ["math.events.*"]))
        try list.revoke("operator")
        let parsed = try AccessList.parse(list.yaml, file: "access.yaml")
        #expect(parsed == list)

        #expect(throws: AccessError.duplicateKey(name: "other", holder: "operator")) {
            try list.add(AccessEntry(name: "other", publicKey: key1, role: .client))
        }
        #expect(throws: AccessError.self) { try list.revoke("nobody") }

        let bad = """
        keys:
          - name: x
            key: short
            role: agent
        """
        do {
            _ = try AccessList.parse(bad, file: "access.yaml")
            Issue.record("a short key was accepted")
        } catch {
            #expect("\(error)".contains("access.yaml:3") && "\(error)".contains("40 characters"), "\(error)")
        }
        let twice = "keys:\n  - {name: x, key: \"\(key1)\", role: agent}\n  - {name: x, key: \"\(key2)\", role: agent}\n"
        #expect(throws: (any Error).self) { try AccessList.parse(twice, file: "access.yaml") }
        let unknownRole = "keys:\n  - {name: x, key: \"\(key1)\", role: admin}\n"
        #expect(throws: (any Error).self) { try AccessList.parse(unknownRole, file: "access.yaml") }
    }

    @Test func initializingTheKeyDirectoryMakesPrivateKeysOnceAndAllowsTheOperator() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let directory = KeyDirectory(path: path)
        var counter = 0
        let generate = { () -> KeyDirectory.KeyPair in
            counter += 1
            return (String(repeating: "\(counter)", count: 40), String(repeating: "s", count: 39) + "\(counter)")
        }
        #expect(!directory.isInitialized)
        #expect(try directory.initialize(generate: generate) == ["broker", "operator"])
        #expect(directory.isInitialized)
        #expect(try directory.initialize(generate: generate).isEmpty, "existing keys are kept")
        let secret = try FileManager.default.attributesOfItem(atPath: directory.file("operator", secret: true))
        #expect((secret[.posixPermissions] as? Int) == 0o600)
        let operatorKeys = try directory.operatorKeys()
        #expect(try directory.accessList().entry(named: "operator")?.publicKey == operatorKeys.publicKey)
        #expect(try directory.accessList().entry(forKey: operatorKeys.publicKey)?.role == .operator)
        #expect(try directory.brokerKeys().publicKey != operatorKeys.publicKey)
    }

    /// Processes that start together all find no HTTP token: one creates it, and every one of
    /// them gets that token (before, one could read the file while another had created it empty,
    /// and fail; or two could each write their own and serve different tokens).
    @Test func callersRacingForTheHTTPTokenAllGetTheOneInTheFile() throws {
        for round in 0..<20 {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let directory = KeyDirectory(path: path)
            let tokens = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 16) { _ in
                let token = (try? directory.httpToken()) ?? "failed"
                tokens.withLock { $0.append(token) }
            }
            let inFile = try String(contentsOfFile: directory.httpTokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(tokens.withLock { $0 } == Array(repeating: inFile, count: 16), "round \(round)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["http-token"], "no drafts left behind")
            #expect((try FileManager.default.attributesOfItem(atPath: directory.httpTokenFile)[.posixPermissions] as? Int) == 0o600)
        }
    }

    /// Processes initializing one key directory at once: one generates each pair, every one
    /// of them reads the same whole keys afterwards, and the operator is listed once.
    @Test func initializingOneDirectoryAtOnceMakesOneSetOfKeys() throws {
        for round in 0..<10 {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let directory = KeyDirectory(path: path)
            let generated = Atomic<Int>(0)
            let seen = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                let keys = try? { () throws -> String in
                    try directory.initialize {
                        let n = generated.add(1, ordering: .relaxed).newValue
                        return (String(repeating: "p", count: 39) + "\(n % 10)", String(repeating: "s", count: 39) + "\(n % 10)")
                    }
                    return try directory.brokerKeys().secretKey + "/" + directory.operatorKeys().secretKey
                }()
                seen.withLock { $0.append(keys ?? "failed") }
            }
            #expect(generated.load(ordering: .relaxed) == 2, "round \(round): one broker pair and one operator pair")
            #expect(Set(seen.withLock { $0 }).count == 1 && !seen.withLock { $0 }.contains("failed"), "round \(round): \(seen.withLock { $0 })")
            #expect(try directory.accessList().entries.filter { $0.name == "operator" }.count == 1)
        }
    }

    /// The initialization lock dies with its holder: a process killed (-9) while it holds the
    /// lock leaves nothing that stops the next initialization, which waited for it until then.
    @Test func aHolderKilledMidInitializationDoesNotBlockTheNext() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lockFile = (path as NSString).appendingPathComponent(".lock")
        // One process holding the lock: the shell locks descriptor 9 and becomes `sleep`, which keeps it.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", #"exec 9>>"$0"; flock 9; exec sleep 60"#, lockFile]
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        func isLockedElsewhere() -> Bool {
            let descriptor = open(lockFile, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
            defer { close(descriptor) }
            return flock(descriptor, LOCK_EX | LOCK_NB) != 0
        }
        for _ in 0..<1_000 where !isLockedElsewhere() { usleep(10_000) }
        #expect(isLockedElsewhere(), "the holder took the lock")

        let done = DispatchSemaphore(value: 0)
        let created = Mutex<[String]?>(nil)
        DispatchQueue.global().async {
            let names = try? KeyDirectory(path: path).initialize { (String(repeating: "p", count: 40), String(repeating: "s", count: 40)) }
            created.withLock { $0 = names }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut, "initialization waits while the lock is held")
        kill(holder.processIdentifier, SIGKILL)
        #expect(done.wait(timeout: .now() + 60) == .success, "the lock went with the killed holder")
        #expect(created.withLock { $0 } == ["broker", "operator"])
    }
}
