import ColonyAccess
import Foundation

/// The access entries of peers that sent messages, remembered on the routing thread by routing
/// id together with the User-Id libzmq gave the connection. A message then costs a lookup by
/// routing id and a compare of a few bytes, instead of a string made from the User-Id, a lookup
/// by name under the guard's lock and a copy of the entry (with CURVE, four fifths of what the
/// routing thread did on top of its work without it). The User-Id is compared at every message,
/// so a connection that takes over a routing id (ROUTER handover) is never taken for the one
/// before. Each sender also keeps whether it may ask each capability it asked (the policy's
/// pattern matching runs once per pair). Everything is forgotten when the guard puts a new list
/// in force, and all at once past `capacity` peers or `capacity` verdicts.
struct SenderCache {
    /// An allowed peer's entry, as the list in force said, and its verdicts so far.
    final class Sender {
        let entry: AccessEntry
        let userID: [UInt8]
        fileprivate var verdicts: [String: Bool] = [:]
        /// The object that stood for the capability it was last allowed to ask (the broker's
        /// `Service`): the same object next time is allowed without hashing the name.
        fileprivate var lastAllowed: AnyObject?

        init(entry: AccessEntry, userID: [UInt8]) {
            self.entry = entry
            self.userID = userID
        }

        /// Whether it is the peer whose messages carry `userID`.
        fileprivate func isNamed(_ userID: UnsafeRawBufferPointer) -> Bool {
            self.userID.withUnsafeBytes { own in own.count == userID.count && (own.isEmpty || memcmp(own.baseAddress!, userID.baseAddress!, own.count) == 0) }
        }
    }

    let capacity: Int
    private var byPeer: [PeerID: Sender] = [:]
    /// The guard's `listGeneration` the remembered entries come from.
    private var generation: UInt64 = 0
    /// How many verdicts the remembered senders keep together.
    private(set) var verdictCount = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { byPeer.count }

    /// The entry of `peer`, whose message carries `userID`, under the list of `generation`; asks
    /// `lookUp` (by name) when it is not remembered. Nil when the list does not allow that name.
    mutating func sender(_ peer: PeerID, userID: UnsafeRawBufferPointer, generation: UInt64,
                         lookUp: (String) -> AccessEntry?) -> Sender? {
        if generation != self.generation {
            removeAll()
            self.generation = generation
        }
        if let known = byPeer[peer], known.isNamed(userID) { return known }
        if let replaced = byPeer.removeValue(forKey: peer) { verdictCount -= replaced.verdicts.count }
        guard let entry = lookUp(String(decoding: userID, as: UTF8.self)) else { return nil }
        if byPeer.count >= capacity { removeAll() }
        let sender = Sender(entry: entry, userID: Array(userID))
        byPeer[peer] = sender
        return sender
    }

    /// Whether `sender` may ask `capability`: its remembered verdict, or `decide`'s for its entry,
    /// then remembered (past `capacity` verdicts, all are forgotten instead). `known`, when given,
    /// is an object that stands for `capability` alone (the broker's `Service` of that name): when
    /// it is the one the sender was last allowed, the answer is yes at a pointer compare.
    mutating func verdict(_ sender: Sender, asking capability: String, known: AnyObject? = nil,
                          decide: (AccessEntry) -> Bool) -> Bool {
        if let known, sender.lastAllowed === known { return true }
        let verdict: Bool
        if let remembered = sender.verdicts[capability] {
            verdict = remembered
        } else {
            verdict = decide(sender.entry)
            if verdictCount >= capacity {
                removeAll()
                return verdict
            }
            sender.verdicts[capability] = verdict
            verdictCount += 1
        }
        if verdict, let known { sender.lastAllowed = known }
        return verdict
    }

    /// Forgets every peer and verdict (the access list changed).
    mutating func removeAll() {
        byPeer.removeAll()
        verdictCount = 0
    }
}
