import ColonyCore
import Foundation

/// Named semaphores that steps hold while they run (`resources: [gpu-1]`), each with a
/// capacity from colony.yaml (1 when not configured). Waiting steps are granted in order of
/// their run's priority (higher first), then age (older first); a step that needs several
/// resources gets all of them at once or waits.
struct ResourcePool {
    struct Request {
        var key: Engine.StepKey
        var resources: [String]
        var priority: Int
        var createdAt: Date
        var sequence: UInt64
    }

    let capacities: [String: Int]
    private(set) var holders: [String: Set<Engine.StepKey>] = [:]
    private(set) var waiting: [Request] = []
    private var sequence: UInt64 = 0

    init(capacities: [String: Int]) {
        self.capacities = capacities
    }

    func capacity(of resource: String) -> Int { capacities[resource] ?? 1 }

    /// Queues a step for its resources.
    mutating func enqueue(_ key: Engine.StepKey, resources: [String], priority: Int, createdAt: Date) {
        guard !waiting.contains(where: { $0.key == key }) else { return }
        sequence += 1
        waiting.append(Request(key: key, resources: resources, priority: priority, createdAt: createdAt, sequence: sequence))
        waiting.sort { ($1.priority, $0.createdAt, $0.sequence) < ($0.priority, $1.createdAt, $1.sequence) }
    }

    /// Records that a step holds its resources (it was in flight when the engine restarted).
    mutating func hold(_ key: Engine.StepKey, resources: [String]) {
        for resource in resources { holders[resource, default: []].insert(key) }
    }

    /// Forgets the step: it holds and waits for nothing any more.
    mutating func release(_ key: Engine.StepKey) {
        waiting.removeAll { $0.key == key }
        for resource in holders.keys { holders[resource]?.remove(key) }
    }

    /// Grants every waiting step whose resources are all free, in order; returns them.
    mutating func grant() -> [Engine.StepKey] {
        var granted: [Engine.StepKey] = []
        var index = 0
        while index < waiting.count {
            let request = waiting[index]
            if request.resources.allSatisfy({ (holders[$0]?.count ?? 0) < capacity(of: $0) }) {
                hold(request.key, resources: request.resources)
                granted.append(request.key)
                waiting.remove(at: index)
            } else {
                index += 1
            }
        }
        return granted
    }

    /// Each configured or held resource with its capacity and holders, sorted by name.
    var holdings: [(resource: String, capacity: Int, holders: [Engine.StepKey])] {
        Set(capacities.keys).union(holders.keys).sorted().map { resource in
            (resource, capacity(of: resource), (holders[resource] ?? []).sorted { ($0.run.rawValue, $0.step.rawValue) < ($1.run.rawValue, $1.step.rawValue) })
        }
    }

    /// Why a waiting step waits, naming who holds what it needs.
    func reason(for key: Engine.StepKey) -> String? {
        guard let request = waiting.first(where: { $0.key == key }) else { return nil }
        let busy = request.resources.filter { (holders[$0]?.count ?? 0) >= capacity(of: $0) }.map { resource in
            let by = (holders[resource] ?? []).map { "\($0.run)/\($0.step)" }.sorted().joined(separator: ", ")
            return "\(resource) (capacity \(capacity(of: resource)), held by \(by))"
        }
        let ahead = waiting.prefix { $0.key != key }.filter { !Set($0.resources).isDisjoint(with: request.resources) }.count
        return "waits for " + (busy.isEmpty ? request.resources.joined(separator: ", ") : busy.joined(separator: "; "))
            + (ahead > 0 ? "; \(ahead) step(s) ahead of it" : "")
    }
}
