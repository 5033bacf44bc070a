/// Which label a capability's metrics carry. Every label is a series the metrics registry keeps
/// for as long as the process lives, and peers choose the names: names an agent offered are
/// labelled as themselves, and so are the first `unofferedLimit` names asked for that no agent
/// had offered (typos show up by name), up to `limit` names in all; past those, names share
/// `other`.
struct CapabilityLabels {
    /// The label of names past the limits.
    static let other = "(other)"

    let unofferedLimit: Int
    let limit: Int
    /// The names with a label of their own (at most `limit`), and which of them no agent had
    /// offered when they got it (at most `unofferedLimit`).
    private var labelled: Set<String> = []
    private var unofferedCount = 0

    init(unofferedLimit: Int, limit: Int = 10_000) {
        self.unofferedLimit = unofferedLimit
        self.limit = limit
    }

    /// The label for `name`; `offered` when an agent offers it.
    mutating func label(for name: String, offered: Bool) -> String {
        if labelled.contains(name) { return name }
        guard labelled.count < limit, offered || unofferedCount < unofferedLimit else { return Self.other }
        labelled.insert(name)
        if !offered { unofferedCount += 1 }
        return name
    }
}
