import ColonyAccess
import ColonyAgent
import ColonyBroker
import Foundation
import Logging

/// What CURVE costs the bus: the same in-process broker, no-op agent and client, once without
/// security and once with CURVE and the access list, at the same loads (requests in flight at
/// once), alternating so the machine's drift hits both alike.
enum CurveCost {
    static func run(seconds: Double, rounds: Int) async throws {
        let keysPath = FileManager.default.temporaryDirectory.appendingPathComponent("colony-bench-keys-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: keysPath) }
        let keys = KeyDirectory(path: keysPath)
        try keys.initialize { try Credentials.generateKeyPair() }
        let serverKey = try keys.brokerKeys().publicKey
        let agentPair = try Credentials.generateKeyPair(), clientPair = try Credentials.generateKeyPair()
        let session = [AccessEntry(name: "bench-agent", publicKey: agentPair.publicKey, role: .agent),
                       AccessEntry(name: "bench-client", publicKey: clientPair.publicKey, role: .operator)]
        var results: [String: [Double]] = [:]
        for _ in 0..<rounds {
            for secure in [false, true] {
                let security = secure ? (
                    guard: try BrokerGuard(keys: keys, session: session, logger: Logger(label: "guard")),
                    agent: Credentials(serverKey: serverKey, publicKey: agentPair.publicKey, secretKey: agentPair.secretKey),
                    client: Credentials(serverKey: serverKey, publicKey: clientPair.publicKey, secretKey: clientPair.secretKey)
                ) : nil
                let harness = try await BenchHarness.start(security: security)
                for window in [1, 64] {
                    let rate = try await requestsPerSecond(harness, window: window, seconds: seconds)
                    results["\(secure ? "curve" : "none")/\(window)", default: []].append(rate)
                }
                harness.stop()
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        print("CURVE cost: in-process broker + no-op SDK agent + SDK client, \(rounds) rounds of \(seconds) s, medians (req/s)")
        print("in flight   none      curve     curve/none")
        for window in [1, 64] {
            let plain = median(results["none/\(window)"] ?? []), curve = median(results["curve/\(window)"] ?? [])
            print(String(format: "%-9d %9.0f %9.0f     %.2f", window, plain, curve, plain > 0 ? curve / plain : 0))
        }
    }

    static func requestsPerSecond(_ harness: BenchHarness, window: Int, seconds: Double) async throws -> Double {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let body = [[UInt8](repeating: 0x61, count: 64)]
        let started = clock.now
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<window {
                group.addTask {
                    var count = 0
                    while clock.now < deadline {
                        _ = try await harness.client.request("noop", body: body, timeout: .seconds(30))
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(done) / (clock.now - started).seconds
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
