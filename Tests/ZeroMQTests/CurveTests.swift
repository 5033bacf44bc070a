import Foundation
import Synchronization
import Testing
@testable import ZeroMQ

/// CURVE and the ZAP handler with real sockets over TCP (port 0): who gets through, and what
/// the server learns about them.
@Suite struct CurveTests {
    /// Every ZAP request the handler was asked, in order.
    final class Requests: Sendable {
        private let list = Mutex<[ZAPRequest]>([])
        func add(_ request: ZAPRequest) { list.withLock { $0.append(request) } }
        var all: [ZAPRequest] { list.withLock { $0 } }
    }

    func server(domain: String, allowing allowed: [String: String], requests: Requests) throws -> (Socket, String, CurveKeyPair) {
        let keys = try CurveKeyPair.generate()
        try ZAPHandler.shared.register(domain: domain) { request in
            requests.add(request)
            guard let key = request.publicKey, let name = allowed[key] else { return .refuse(reason: "unknown key") }
            return .accept(userID: name)
        }
        let router = try Socket(.router)
        try router.useCurve(.server(secretKey: keys.secretKey))
        try router.setZAPDomain(domain)
        try router.bind("tcp://127.0.0.1:0")
        return (router, router.lastEndpoint, keys)
    }

    func client(_ endpoint: String, serverKey: String, keys: CurveKeyPair) throws -> Socket {
        let dealer = try Socket(.dealer)
        try dealer.useCurve(.client(serverKey: serverKey, keys: keys))
        try dealer.connect(endpoint)
        return dealer
    }

    @Test func keyPairsAreZ85AndThePublicKeyFollowsFromTheSecret() throws {
        #expect(CurveKeyPair.isAvailable)
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.count == 40 && pair.secretKey.count == 40)
        #expect(CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(CurveKeyPair(secretKey: "not a key") == nil)
        #expect(!CurveKeyPair.isKey(String(repeating: "a", count: 39)))
    }

    @Test func onlyKnownKeysGetThroughAndTheServerKnowsWhoSent() throws {
        let known = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let requests = Requests()
        let domain = "test-\(UUID().uuidString)"
        let (router, endpoint, serverKeys) = try server(domain: domain, allowing: [known.publicKey: "alice"], requests: requests)
        defer { ZAPHandler.shared.unregister(domain: domain) }

        // A key the server does not know: refused by the handler, its message never delivered.
        let intruder = try client(endpoint, serverKey: serverKeys.publicKey, keys: stranger)
        try intruder.send("from the stranger", wait: true)
        for _ in 0..<5000 where !requests.all.contains(where: { $0.publicKey == stranger.publicKey }) {
            Thread.sleep(forTimeInterval: 0.001)
        }
        #expect(requests.all.map(\.publicKey) == [stranger.publicKey])
        #expect(requests.all.first?.mechanism == "CURVE" && requests.all.first?.domain == domain)

        // A client that has the wrong server key cannot even complete the handshake.
        let lost = try client(endpoint, serverKey: try CurveKeyPair.generate().publicKey, keys: known)
        try lost.send("to the wrong server", wait: true)

        let friend = try client(endpoint, serverKey: serverKeys.publicKey, keys: known)
        try friend.send("from alice", wait: true)
        let message = try #require(try router.receiveMessage(wait: true))
        #expect(message.last?.string == "from alice")
        #expect(message.last?.userID == "alice")
        #expect(requests.all.map(\.publicKey) == [stranger.publicKey, known.publicKey], "the wrong-server client never reached the handler")
        #expect(try router.receiveMessage() == nil)
    }

    @Test func anUnregisteredDomainRefusesEveryone() throws {
        let keys = try CurveKeyPair.generate()
        let requests = Requests()
        let domain = "test-\(UUID().uuidString)"
        let (router, endpoint, serverKeys) = try server(domain: domain, allowing: [keys.publicKey: "bob"], requests: requests)
        ZAPHandler.shared.unregister(domain: domain)
        let before = ZAPHandler.shared.refusalsForUnknownDomains
        let refused = try client(endpoint, serverKey: serverKeys.publicKey, keys: keys)
        try refused.send("anyone?", wait: true)
        for _ in 0..<5000 where ZAPHandler.shared.refusalsForUnknownDomains == before {
            Thread.sleep(forTimeInterval: 0.001)
        }
        #expect(ZAPHandler.shared.refusalsForUnknownDomains > before)
        #expect(requests.all.isEmpty, "the authenticator is no longer asked")
        // Re-registering lets the next connection in; the refused one stays out.
        try ZAPHandler.shared.register(domain: domain) { _ in .accept(userID: "bob") }
        defer { ZAPHandler.shared.unregister(domain: domain) }
        let admitted = try client(endpoint, serverKey: serverKeys.publicKey, keys: keys)
        try admitted.send("bob here", wait: true)
        let message = try #require(try router.receiveMessage(wait: true))
        #expect(message.last?.string == "bob here")
    }
}
