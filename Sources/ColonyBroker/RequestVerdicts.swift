/// Whether a key may ask a capability, remembered per key name and capability until the access
/// list changes, so the policy's pattern matching runs once per pair and not at every request.
/// At most `capacity` verdicts are kept (capability names are at most 255 bytes); past that
/// they are all forgotten at once and learnt again.
struct RequestVerdicts {
    let capacity: Int
    private var verdicts: [String: [String: Bool]] = [:]
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The remembered verdict for `key` asking `capability`, or `decide()`'s, then remembered.
    mutating func verdict(key: String, capability: String, decide: () -> Bool) -> Bool {
        if let known = verdicts[key]?[capability] { return known }
        let verdict = decide()
        if count >= capacity { removeAll() }
        verdicts[key, default: [:]][capability] = verdict
        count += 1
        return verdict
    }

    /// Forgets every verdict (the access list changed).
    mutating func removeAll() {
        verdicts.removeAll()
        count = 0
    }
}
