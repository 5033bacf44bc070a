/// Which label a capability's metrics carry. Every label is a series the metrics registry keeps
/// for as long as the process lives, and clients choose the names they ask for: names an agent
/// offered are labelled as themselves, and so are the first `limit` names asked for that no
/// agent had offered (typos show up by name); past those, such names share `other`.
struct CapabilityLabels {
    /// The label of names asked for beyond the limit, never offered.
    static let other = "(other)"

    let limit: Int
    /// The names never offered that have a label of their own (at most `limit`).
    private var unoffered: Set<String> = []

    init(limit: Int) { self.limit = limit }

    /// The label for `name`; `offered` when an agent offers it.
    mutating func label(for name: String, offered: Bool) -> String {
        if offered || unoffered.contains(name) { return name }
        guard unoffered.count < limit else { return Self.other }
        unoffered.insert(name)
        return name
    }
}
