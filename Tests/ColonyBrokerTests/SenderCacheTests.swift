import ColonyAccess
import Testing

@testable import ColonyBroker

/// Peers' access entries remembered by routing id: looked up by name once, then found by the
/// routing id as long as the connection's User-Id is the same; looked up again when another
/// key's connection takes the routing id over, and when the list in force changes; a name the
/// list does not allow is never remembered; and no more than `capacity` peers are kept. Each
/// sender's request verdicts are decided once, never more than `capacity` kept in all, and
/// forgotten with the list.
@Suite struct SenderCacheTests {
    final class Directory {
        var entries: [String: AccessEntry] = [:]
        var lookUps = 0
        func lookUp(_ name: String) -> AccessEntry? {
            lookUps += 1
            return entries[name]
        }
    }

    func entry(_ name: String, _ role: Role) -> AccessEntry { AccessEntry(name: name, publicKey: "key-\(name)", role: role) }

    func ask(_ cache: inout SenderCache, _ peer: [UInt8], _ userID: String, generation: UInt64 = 1, _ directory: Directory) -> AccessEntry? {
        Array(userID.utf8).withUnsafeBytes { bytes in
            cache.sender(PeerID(bytes: peer), userID: bytes, generation: generation, lookUp: directory.lookUp)?.entry
        }
    }

    @Test func aPeerIsLookedUpOnceWhileItsUserIDStaysTheSame() {
        let directory = Directory()
        directory.entries = ["alice": entry("alice", .client), "bob": entry("bob", .operator)]
        var cache = SenderCache(capacity: 100)
        #expect(ask(&cache, [1], "alice", directory)?.name == "alice")
        #expect(ask(&cache, [1], "alice", directory)?.name == "alice")
        #expect(directory.lookUps == 1)
        // Another key's connection took routing id [1] over: it is bob now, not alice.
        #expect(ask(&cache, [1], "bob", directory)?.role == .operator)
        #expect(directory.lookUps == 2)
        #expect(ask(&cache, [2], "alice", directory)?.name == "alice")
        #expect(directory.lookUps == 3 && cache.count == 2)
    }

    @Test func aNameNotAllowedIsNeverRemembered() {
        let directory = Directory()
        directory.entries = ["alice": entry("alice", .client)]
        var cache = SenderCache(capacity: 100)
        #expect(ask(&cache, [1], "alice", directory) != nil)
        // Taken over by a key the list does not allow: refused, and alice's entry is gone too.
        #expect(ask(&cache, [1], "mallory", directory) == nil)
        #expect(ask(&cache, [1], "mallory", directory) == nil)
        #expect(directory.lookUps == 3 && cache.count == 0)
    }

    @Test func aNewListInForceIsAskedAgain() {
        let directory = Directory()
        directory.entries = ["alice": entry("alice", .client)]
        var cache = SenderCache(capacity: 100)
        #expect(ask(&cache, [1], "alice", generation: 1, directory) != nil)
        directory.entries = [:]  // alice revoked
        #expect(ask(&cache, [1], "alice", generation: 2, directory) == nil)
        directory.entries = ["alice": entry("alice", .operator)]
        cache.removeAll()
        #expect(ask(&cache, [1], "alice", generation: 2, directory)?.role == .operator)
        #expect(directory.lookUps == 3)
    }

    @Test func noMoreThanCapacityPeersAreKept() {
        let directory = Directory()
        directory.entries = ["alice": entry("alice", .client)]
        var cache = SenderCache(capacity: 10)
        for peer in 0..<1_000 {
            #expect(ask(&cache, [UInt8(peer % 256), UInt8(peer / 256)], "alice", directory) != nil)
            #expect(cache.count <= 10)
        }
    }

    @Test func verdictsAreDecidedOnceAndNeverExceedTheCapacity() {
        let directory = Directory()
        directory.entries = ["alice": entry("alice", .client), "bob": entry("bob", .client)]
        var cache = SenderCache(capacity: 100)
        var decisions = 0
        func ask(_ name: String, _ capability: String) -> Bool {
            let sender = Array(name.utf8).withUnsafeBytes { bytes in
                cache.sender(PeerID(bytes: Array(name.utf8)), userID: bytes, generation: 1, lookUp: directory.lookUp)
            }
            guard let sender else { return false }
            return cache.verdict(sender, asking: capability) { entry in
                decisions += 1
                return entry.name == name && capability.hasPrefix("ok.")
            }
        }
        #expect(ask("alice", "ok.1") && !ask("alice", "no.1"))
        #expect(ask("alice", "ok.1") && !ask("alice", "no.1"))
        #expect(decisions == 2, "a remembered verdict is not decided again")
        for index in 0..<1_000 {
            #expect(ask(index.isMultiple(of: 2) ? "alice" : "bob", index.isMultiple(of: 3) ? "ok.\(index)" : "no.\(index)")
                    == index.isMultiple(of: 3))
            #expect(cache.verdictCount <= 100)
        }
        cache.removeAll()
        #expect(cache.verdictCount == 0 && cache.count == 0)
        #expect(ask("alice", "ok.1") && decisions == 1_003, "forgotten verdicts are decided again")
    }

    /// A capability asked by the object that stands for it (the broker's `Service`) is allowed at
    /// a pointer compare once allowed, refused ones are never taken that way, and a new list in
    /// force decides again: a key whose role lost the capability is refused, object or not.
    @Test func aCapabilityAskedByItsObjectIsAllowedAgainOnlyUnderTheSameList() {
        final class Capability {}
        let directory = Directory()
        directory.entries = ["alice": entry("alice", .client)]
        var cache = SenderCache(capacity: 100)
        var decisions = 0
        var allowed: Set<String> = ["echo"]
        let echo = Capability(), admin = Capability()
        func ask(_ capability: String, _ object: Capability, generation: UInt64 = 1) -> Bool {
            let sender = Array("alice".utf8).withUnsafeBytes { bytes in
                cache.sender(PeerID(bytes: [1]), userID: bytes, generation: generation, lookUp: directory.lookUp)
            }
            guard let sender else { return false }
            return cache.verdict(sender, asking: capability, known: object) { _ in
                decisions += 1
                return allowed.contains(capability)
            }
        }
        #expect(ask("echo", echo) && ask("echo", echo))
        #expect(!ask("admin", admin) && !ask("admin", admin))
        #expect(ask("echo", echo))
        #expect(decisions == 2)
        allowed = []
        #expect(!ask("echo", echo, generation: 2), "the new list is asked, not the object remembered under the old one")
        #expect(decisions == 3)
    }
}
