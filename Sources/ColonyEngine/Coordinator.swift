import ColonyCore
import ColonyStore
import ColonyWire
import Foundation
import Logging
import ServiceLifecycle

/// Leader-follower coordination: among the members of a group (agents offering a capability,
/// or a named group), one agent holds a leadership lease with a term that only grows.
///
/// Every lease/3 the coordinator looks at each tracked group: a leader still connected has its
/// lease renewed; one that has been gone for a whole lease (killed, stopped, partitioned) or
/// resigned is replaced by the first member in instance order, under term + 1. Each change is
/// persisted (compare-and-set on the term) before it is announced on
/// `coordination.leader.GROUP`, and the current leadership is re-announced on every renewal so
/// agents that join late learn it. Requests of leader-follower steps carry the term; agents
/// refuse older terms, so a leader that wakes up after its lease lapsed cannot act.
public actor Coordinator {
    let store: any CoordinationStore
    let bus: any CoordinationBus
    let clock: any EngineClock
    let leaseDuration: Duration
    let logger: Logger
    /// Consensus electorates declared per group (seats), for steps that declare none.
    let declaredElectorates: [GroupName: Int]

    private var groups: Set<GroupName> = []
    private var resigned: [GroupName: Set<InstanceID>] = [:]

    public init(
        store: any CoordinationStore, bus: any CoordinationBus, clock: any EngineClock = .system, leaseDuration: Duration,
        declaredElectorates: [GroupName: Int] = [:], logger: Logger
    ) {
        self.declaredElectorates = declaredElectorates
        self.store = store
        self.bus = bus
        self.clock = clock
        self.leaseDuration = leaseDuration
        self.logger = logger
    }

    /// Adds groups to look after.
    public func track<Groups: Sequence<GroupName>>(_ groups: Groups) {
        self.groups.formUnion(groups)
    }

    /// Renews and elects every lease/3 until the task is cancelled.
    private func tickUntilCancelled() async {
        while true {
            await tickAll()
            do {
                try await clock.sleep(for: leaseDuration / 3)
            } catch {
                return
            }
        }
    }

    /// The group's current leadership, electing a leader now if it has none.
    public func leader(of group: GroupName) async throws(StoreError) -> Leadership? {
        groups.insert(group)
        if let current = try await store.leadership(of: group), current.leader != nil, current.expiresAt > clock.now {
            return current.announcement
        }
        await tick(group)
        return try await store.leadership(of: group)?.announcement
    }

    /// The group's leadership as stored, without electing anyone (for status queries).
    public func storedLeadership(of group: GroupName) async throws(StoreError) -> Leadership? {
        try await store.leadership(of: group)?.announcement
    }

    /// Every known leadership.
    public func leaderships() async throws(StoreError) -> [Leadership] {
        try await store.leaderships().map(\.announcement)
    }

    /// `instance` gives up leading `group`; another member takes over at once (term + 1).
    /// Returns the leadership after it, or nil when `instance` did not lead `group`.
    public func resign(group: GroupName, instance: InstanceID) async throws(StoreError) -> Leadership? {
        guard let current = try await store.leadership(of: group), current.leader == instance else { return nil }
        resigned[group, default: []].insert(instance)
        var vacated = current
        vacated.expiresAt = .distantPast
        guard try await store.saveLeadership(vacated, expectedTerm: current.term) else {
            // Someone else changed the leadership meanwhile: what it is now is the answer.
            return try await store.leadership(of: group)?.announcement
        }
        logger.notice("leader resigned", metadata: ["group": "\(group)", "instance": "\(instance)", "term": "\(current.term)"])
        await tick(group)
        return try await store.leadership(of: group)?.announcement
    }

    private func tickAll() async {
        for group in groups.sorted() { await tick(group) }
    }

    /// Renews a present leader, or elects a new one when the old lease has lapsed.
    func tick(_ group: GroupName) async {
        guard let members = await members(of: group, timeout: leaseDuration / 3) else { return }
        let now = clock.now
        let expiresAt = now.addingTimeInterval(leaseDuration.seconds)
        do {
            let current = try await store.leadership(of: group)
            let stillThere = current?.leader.map { members.contains($0) && !(resigned[group]?.contains($0) ?? false) } ?? false
            if let current, stillThere {
                var renewed = current
                renewed.expiresAt = expiresAt
                renewed.updatedAt = now
                if try await store.saveLeadership(renewed, expectedTerm: current.term) { await announce(renewed, renewal: true) }
                return
            }
            if let current, current.leader != nil, current.expiresAt > now { return }
            let candidates = members.filter { !(resigned[group]?.contains($0) ?? false) }.sorted()
            guard let candidate = candidates.first ?? members.sorted().first else { return }
            let elected = LeadershipRecord(group: group, leader: candidate, term: (current?.term ?? 0) + 1, expiresAt: expiresAt, updatedAt: now)
            guard try await store.saveLeadership(elected, expectedTerm: current?.term) else { return }
            resigned[group] = nil
            logger.notice("leader elected", metadata: [
                "group": "\(group)", "leader": "\(candidate)", "term": "\(elected.term)", "previous": "\(current?.leader ?? "-")",
            ])
            await announce(elected)
        } catch {
            logger.error("cannot update a leadership", metadata: ["group": "\(group)", "error": "\(error)"])
        }
    }

    /// Tells the bus: a new leadership on `coordination.leader.GROUP`, a renewal of the same one
    /// on `coordination.lease.GROUP` (agents need its fresh expiry; people watching do not).
    private func announce(_ record: LeadershipRecord, renewal: Bool = false) async {
        let prefix = renewal ? Topics.leaseRenewalPrefix : Topics.leadershipPrefix
        await bus.publish(prefix + record.group.rawValue, record.announcement, run: nil)
    }
}

extension LeadershipRecord {
    /// The record as announced on the bus.
    var announcement: Leadership {
        Leadership(group: group, leader: leader, term: UInt64(term), expiresAtMilliseconds: UInt64(max(0, expiresAt.timeIntervalSince1970 * 1000)))
    }
}

extension Coordinator: Service {
    /// Looks after the tracked groups until a graceful shutdown or cancellation. It stops
    /// after the engine in an orchestrator's shutdown: coordinated attempts still draining
    /// need their leaders.
    public func run() async {
        await cancelWhenGracefulShutdown { await self.tickUntilCancelled() }
    }
}
