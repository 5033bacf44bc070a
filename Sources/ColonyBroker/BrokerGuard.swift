import ColonyAccess
import ColonyCore
import ColonyYAML
import Foundation
import Logging
import Synchronization
import ZeroMQ

/// The broker's security: CURVE on its three sockets, a ZAP authenticator that lets in only the
/// keys of the access list, and the per-message checks of their roles (`AccessPolicy`). The list
/// is re-read when its file changes, so `colony keys add|revoke` apply to a running broker.
///
/// The ZAP thread, the event thread and the routing thread all read the list and count
/// refusals: both live in a `Mutex`. The file is read on a thread of the guard's own
/// (`startWatching`): the routing thread never waits for a file.
public final class BrokerGuard: Sendable {
    /// Why something was refused, as counted in `mmi.stats`.
    public enum Refusal: String, Sendable, CaseIterable {
        case unknownKey = "unknown_key"
        case revokedKey = "revoked_key"
        case noKey = "no_key"
        /// A handshake that failed before the access list was asked: no CURVE key, or the wrong
        /// broker key (a peer that is not part of this colony).
        case handshake = "handshake_failed"
        case offer = "capability_not_allowed"
        case request = "request_not_allowed"
        case publish = "topic_not_allowed"
        case instance = "instance_of_another_key"
    }

    let keys: KeyDirectory
    /// Keys given out for this run only (`colony up`'s agents and orchestrator), on top of the file's.
    let session: [AccessEntry]
    let secretKey: String
    /// The ZAP domain of this broker's sockets.
    let domain: String
    let state: Mutex<Snapshot>
    /// The list, its file's stamp, and its allowed entries by name (the per-message lookup).
    struct Snapshot {
        var list: AccessList
        var stamp: FileStamp
        var allowed: [String: AccessEntry]

        init(_ list: AccessList, stamp: FileStamp) {
            self.list = list
            self.stamp = stamp
            allowed = Dictionary(list.entries.filter { !$0.revoked }.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }
    private let counts = Mutex<[Refusal: Int]>([:])
    /// Lists put in force by `reloadIfChanged` (see `listGeneration`).
    let generation = Atomic<UInt64>(0)
    /// The running watcher, if any (`startWatching`).
    let watching = Mutex<AccessListWatch?>(nil)
    let logger: Logger

    /// Reads the broker's secret key and the access list from `keys`; `session` adds keys that
    /// live only as long as this broker (they are not written to the file).
    public init(keys: KeyDirectory, session: [AccessEntry] = [], logger: Logger) throws(AccessError) {
        self.keys = keys
        self.session = session
        self.logger = logger
        secretKey = try keys.brokerKeys().secretKey
        // Stamped before it is read: a change in between is then seen at the next look.
        let stamp = keys.accessListStamp(after: nil)
        state = Mutex(Snapshot(Self.merged(try keys.accessList(), session), stamp: stamp))
        domain = "colony-broker-\(UUID().uuidString)"
    }

    /// The access list as it is now.
    var list: AccessList { state.withLock { $0.list } }

    /// The file's entries, then the session's (a session key whose name or key the file already
    /// has is left out: the file wins).
    static func merged(_ list: AccessList, _ session: [AccessEntry]) -> AccessList {
        var merged = list
        for entry in session where list.entry(named: entry.name) == nil {
            do {
                try merged.add(entry)
            } catch {
                continue  // its key is in the file under another name: that entry decides
            }
        }
        return merged
    }

    /// Turns CURVE on for one of the broker's listening sockets (before it binds).
    func secure(_ socket: Socket) throws(ZMQError) {
        try socket.useCurve(.server(secretKey: secretKey))
        try socket.setZAPDomain(domain)
    }

    /// Starts answering ZAP requests for this broker's sockets.
    func register() throws(ZMQError) {
        try ZAPHandler.shared.register(domain: domain) { [self] request in authenticate(request) }
    }

    func unregister() {
        ZAPHandler.shared.unregister(domain: domain)
    }

    private func authenticate(_ request: ZAPRequest) -> ZAPDecision {
        guard let key = request.publicKey else { return refuse(.noKey, "no CURVE key", peer: request.address) }
        guard let entry = list.entry(forKey: key) else { return refuse(.unknownKey, "key not allowed", peer: request.address, key: key) }
        guard !entry.revoked else { return refuse(.revokedKey, "key revoked", peer: request.address, key: key, name: entry.name) }
        return .accept(userID: entry.name)
    }

    private func refuse(_ refusal: Refusal, _ reason: String, peer: String, key: String? = nil, name: String? = nil) -> ZAPDecision {
        count(refusal)
        logger.warning("connection refused", metadata: [
            "reason": "\(reason)", "address": "\(peer)", "key": "\(key ?? "-")", "name": "\(name ?? "-")",
        ])
        return .refuse(reason: reason)
    }

    /// The allowed entry that sent a message (nil when its key is no longer allowed).
    func sender(of part: MessagePart) -> AccessEntry? {
        guard let name = part.userID else { return nil }
        return allowedEntry(named: name)
    }

    /// The allowed entry named `name` (the User-Id of its messages), nil when its key is not
    /// allowed (any more).
    func allowedEntry(named name: String) -> AccessEntry? {
        state.withLock { $0.allowed[name] }
    }

    /// Whether the key named `name` is on the list and not revoked.
    func allows(_ name: String) -> Bool {
        state.withLock { $0.allowed[name] != nil }
    }

    func count(_ refusal: Refusal, times: Int = 1) {
        guard times > 0 else { return }
        counts.withLock { $0[refusal, default: 0] += times }
    }

    /// Counts what a socket's handshake monitor saw (refusals by the access list are counted
    /// when the handler decides, so only the mechanism's failures are added here).
    func countHandshakes(_ monitor: HandshakeMonitor?) {
        guard let monitor else { return }
        count(.handshake, times: monitor.drain().failed)
    }

    /// Refusals so far, by reason (only those that happened).
    var refusals: [String: Int] {
        Dictionary(uniqueKeysWithValues: counts.withLock { $0 }.map { ($0.key.rawValue, $0.value) })
    }
}
