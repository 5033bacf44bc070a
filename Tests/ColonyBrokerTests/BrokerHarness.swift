import ColonyBroker
import ColonyWire
import Foundation
import Logging
import ColonyCore
import ZeroMQ

/// A broker on its own thread, bound to free loopback ports, stopped by `stop()`.
final class RunningBroker {
    let handle: BrokerHandle
    var endpoints: BrokerEndpoints { handle.endpoints }

    init(heartbeat: Duration = .milliseconds(100), liveness: Int = 3, expiry: Duration = .seconds(5), guard guardian: BrokerGuard? = nil,
         adjust: (inout BrokerConfiguration) -> Void = { _ in }) throws {
        var logger = Logger(label: "test-broker")
        logger.logLevel = .critical
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

    init(_ type: SocketType, connectTo endpoint: String, curve: CurveRole? = nil) throws {
        socket = try Socket(type)
        if let curve { try socket.useCurve(curve) }
        try socket.connect(endpoint)
    }

    func send(_ parts: [[UInt8]]) throws {
        try socket.send(message: parts.map { Frame($0) }, wait: true)
    }

    func send(_ parts: String...) throws {
        try send(parts.map { Array($0.utf8) })
    }

    /// The next message, or nil after `timeout`.
    func receive(timeout: Duration = .seconds(5)) throws -> [[UInt8]]? {
        let deadline = MonotonicTime.now() + timeout
        while MonotonicTime.now() < deadline {
            if let frames = try socket.receiveMessage() { return frames.map(\.bytes) }
            usleep(500)
        }
        return nil
    }

    /// The next message that is not a HEARTBEAT, or nil after `timeout`.
    func receiveSkippingHeartbeats(timeout: Duration = .seconds(5)) throws -> [[UInt8]]? {
        let deadline = MonotonicTime.now() + timeout
        while MonotonicTime.now() < deadline {
            guard let frames = try receive(timeout: deadline.since(.now())) else { return nil }
            if !Peer.isHeartbeat(frames) { return frames }
        }
        return nil
    }

    static func isHeartbeat(_ frames: [[UInt8]]) -> Bool {
        let start = frames.first == [] ? 1 : 0
        guard frames.count == start + 2 else { return false }
        return (frames[start] == MDP.worker01 && frames[start + 1] == [0x04]) || (frames[start] == MDP.worker02 && frames[start + 1] == [0x05])
    }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
