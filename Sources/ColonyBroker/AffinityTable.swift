import DequeModule

/// Idempotency key → the agent instance that was last sent it, bounded in count (the oldest
/// keys are forgotten first).
struct AffinityTable {
    private var owners: [String: String] = [:]
    private var order: Deque<String> = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func owner(of key: String) -> String? { owners[key] }

    mutating func record(_ key: String, owner: String) {
        if owners.updateValue(owner, forKey: key) == nil { order.append(key) }
        while owners.count > capacity, let oldest = order.popFirst() { owners[oldest] = nil }
    }
}
