import CZeroMQ
import Foundation
import Synchronization

/// What a ZAP handler is asked about a peer that completed a CURVE handshake.
public struct ZAPRequest: Sendable, Hashable {
    /// The ZAP domain of the socket the peer connected to.
    public var domain: String
    /// The peer's address (IP, or empty for ipc).
    public var address: String
    /// "CURVE", "NULL" or "PLAIN".
    public var mechanism: String
    /// The peer's CURVE public key in Z85, when the mechanism is CURVE.
    public var publicKey: String?
}

/// A ZAP handler's answer: accepted as `userID` (libzmq attaches it to every message from the
/// peer as its "User-Id"), or refused with a reason.
public enum ZAPDecision: Sendable, Hashable {
    case accept(userID: String)
    case refuse(reason: String)
}

/// The process's ZAP handler (RFC 27): one thread serving `inproc://zeromq.zap.01` on the shared
/// context, asking the authenticator registered for each request's domain. A socket that sets a
/// domain nobody registered, or that is unregistered, has every peer refused.
public final class ZAPHandler: Sendable {
    public typealias Authenticator = @Sendable (ZAPRequest) -> ZAPDecision

    /// The handler of `Context.shared`, started on first use.
    public static let shared = ZAPHandler()

    private let authenticators = Mutex<[String: Authenticator]>([:])
    private let started = Mutex(false)
    private let unclaimed = Atomic<Int>(0)

    /// Peers refused because nobody answers for their socket's domain.
    public var refusalsForUnknownDomains: Int { unclaimed.load(ordering: .relaxed) }

    private init() {}

    /// Answers ZAP requests of `domain` with `authenticator` from now on (replacing any).
    public func register(domain: String, _ authenticator: @escaping Authenticator) throws(ZMQError) {
        try startIfNeeded()
        authenticators.withLock { $0[domain] = authenticator }
    }

    /// Stops answering for `domain`: its peers are refused from now on.
    public func unregister(domain: String) {
        _ = authenticators.withLock { $0.removeValue(forKey: domain) }
    }

    private func startIfNeeded() throws(ZMQError) {
        let result: Result<Void, ZMQError> = started.withLock { started in
            guard !started else { return .success(()) }
            do throws(ZMQError) {
                let socket = try Socket(.reply)
                try socket.bind("inproc://zeromq.zap.01")
                let handler = UncheckedSocket(socket: socket)
                let thread = Thread { [self] in
                    nameCurrentThread("colony-zap")
                    self.serve(handler.socket)
                }
                thread.name = "colony-zap"
                thread.start()
                started = true
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Answers requests for as long as the process lives.
    private func serve(_ socket: Socket) {
        var frames: [Frame] = []
        while true {
            guard (try? socket.receiveMessage(into: &frames, wait: true)) == true else { continue }
            // 1.0, request id, domain, address, identity, mechanism, credentials…
            guard frames.count >= 6 else { continue }
            let requestID = frames[1].bytes
            let mechanism = frames[5].string ?? ""
            let request = ZAPRequest(
                domain: frames[2].string ?? "", address: frames[3].string ?? "", mechanism: mechanism,
                publicKey: mechanism == "CURVE" && frames.count >= 7 && frames[6].count == 32 ? Self.z85(frames[6].bytes) : nil
            )
            let decision: ZAPDecision
            if let authenticator = authenticators.withLock({ $0[request.domain] }) {
                decision = authenticator(request)
            } else {
                unclaimed.add(1, ordering: .relaxed)
                decision = .refuse(reason: "no authenticator for domain '\(request.domain)'")
            }
            let reply: [Frame]
            switch decision {
            case .accept(let userID):
                reply = [Frame("1.0"), Frame(requestID), Frame("200"), Frame("OK"), Frame(userID), Frame()]
            case .refuse(let reason):
                reply = [Frame("1.0"), Frame(requestID), Frame("400"), Frame(reason), Frame(), Frame()]
            }
            _ = try? socket.send(message: reply, wait: true)
        }
    }

    /// `bytes` (32 of them) as Z85 text.
    static func z85(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: 41)
        _ = zmq_z85_encode(&text, bytes, bytes.count)
        return z85Text(text)
    }
}

/// Hands the ZAP socket to the thread that will own it; nothing else touches it after.
// Safety: the socket is created, bound and then used only by the handler's thread.
private struct UncheckedSocket: @unchecked Sendable {
    let socket: Socket
}
