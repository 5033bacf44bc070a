import ColonyBroker
import ColonyWire
import Foundation
import Logging
import ColonyCore
import ColonyTestSupport
import ZeroMQ

/// A broker on its own thread, bound to free loopback ports, stopped by `stop()`.
/// `liveness`: missed heartbeats before it drops a worker. Hand-written workers send none
/// unless a test makes them, so by default they are kept 10 minutes: a test held up by a
/// loaded machine (seen: more than 10 s) must not lose its worker between READY and its last
/// request. Tests about losing workers, and those whose waits derive from the agent expiry
/// (a preferred instance, the grace for unoffered capabilities), set their own.
/// `expiry`: how long a request waits for a worker, by default a minute for the same reason;
/// tests about expiring requests set a short one.
final class RunningBroker {
    let handle: BrokerHandle
    var endpoints: BrokerEndpoints { handle.endpoints }

    init(heartbeat: Duration = .milliseconds(100), liveness: Int = 6000, expiry: Duration = .seconds(60), guard guardian: BrokerGuard? = nil,
         logger: Logger? = nil, adjust: (inout BrokerConfiguration) -> Void = { _ in }) throws {
        let logger = logger ?? {
            var quiet = Logger(label: "test-broker")
            quiet.logLevel = .critical
            return quiet
        }()
        var configuration = BrokerConfiguration(
            endpoints: BrokerEndpoints(requests: "tcp://127.0.0.1:0", publish: "tcp://127.0.0.1:0", subscribe: "tcp://127.0.0.1:0"),
            heartbeatInterval: heartbeat, liveness: liveness, requestExpiry: expiry
        )
        configuration.gateRecovery = .zero
        adjust(&configuration)
        handle = try Broker.start(configuration, guard: guardian, logger: logger)
    }

    func stop() { handle.stop() }
    deinit { handle.stop() }
}

/// A raw ZeroMQ peer speaking whatever frames a test writes, with a receive timeout.
final class Peer {
    let socket: Socket

    init(_ type: SocketType, connectTo endpoint: String, curve: CurveRole? = nil, routingID: [UInt8]? = nil) throws {
        socket = try Socket(type)
        if let curve { try socket.useCurve(curve) }
        if let routingID { try socket.setRoutingID(routingID) }
        try socket.connect(endpoint)
    }

    func send(_ parts: [[UInt8]]) throws {
        try socket.send(message: parts.map { Frame($0) }, wait: true)
    }

    func send(_ parts: String...) throws {
        try send(parts.map { Array($0.utf8) })
    }

    /// The next message, or nil after `timeout` (by default a bound for a failing test on a
    /// loaded machine, not a speed). Waits between polls without holding a thread: tests share
    /// the few threads of Swift's concurrency pool.
    func receive(timeout: Duration = .generous) async throws -> [[UInt8]]? {
        let deadline = MonotonicTime.now() + timeout
        while true {
            if let frames = try socket.receiveMessage() { return frames.map(\.bytes) }
            guard MonotonicTime.now() < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// The next message that is not a HEARTBEAT, or nil after `timeout`.
    func receiveSkippingHeartbeats(timeout: Duration = .generous) async throws -> [[UInt8]]? {
        let deadline = MonotonicTime.now() + timeout
        while MonotonicTime.now() < deadline {
            guard let frames = try await receive(timeout: deadline.since(.now())) else { return nil }
            if !Peer.isHeartbeat(frames) { return frames }
        }
        return nil
    }

    /// Asks the broker once, as an MDP/0.2 client on a DEALER, whether an agent offers
    /// `capability` (`mmi.service` answers 200).
    func isOffered(_ capability: String) async throws -> Bool {
        try send([MDP.client02, [0x01], bytes("mmi.service"), bytes(capability)])
        return try await receive()?.last == bytes("200")
    }

    /// Asks until an agent offers `capability`; false if none does within `Duration.generous`.
    func waitUntilOffered(_ capability: String) async throws -> Bool {
        try await until { try await isOffered(capability) }
    }

    static func isHeartbeat(_ frames: [[UInt8]]) -> Bool {
        let start = frames.first == [] ? 1 : 0
        guard frames.count == start + 2 else { return false }
        return (frames[start] == MDP.worker01 && frames[start + 1] == [0x04]) || (frames[start] == MDP.worker02 && frames[start + 1] == [0x05])
    }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

extension BrokerStatistics {
    /// Whether events now reach a subscriber: a publisher's events and a subscription have both
    /// reached the broker (an event counts as forwarded with nobody subscribed yet).
    var eventsReachASubscriber: Bool { eventsForwarded > 0 && subscriptionsForwarded > 0 }
}
