/// Where and how much the broker journals the events it forwards, so readers that were down
/// (the orchestrator's triggers) can read what they missed: the newest `maxEvents` events
/// within `maxBytes`, in a directory (kept across broker restarts) or in memory only.
public struct EventJournalSettings: Sendable, Hashable {
    /// Where the journal lives.
    public enum Location: Sendable, Hashable {
        /// `colony up`: the `events` directory next to the orchestrator's database; a broker
        /// on its own: memory.
        case automatic
        /// In memory: a new journal on every broker start.
        case memory
        /// In this directory, kept across restarts (one broker at a time: it is locked).
        case directory(String)

        /// `auto`, `memory`, or a directory path.
        public init(_ text: String) {
            switch text {
            case "auto": self = .automatic
            case "memory": self = .memory
            default: self = .directory(text)
            }
        }
    }

    public var location: Location
    /// The most events kept; older ones are dropped first.
    public var maxEvents: Int
    /// The most bytes kept (frames plus a small overhead per event); older events go first.
    public var maxBytes: Int

    public init(location: Location = .automatic, maxEvents: Int = 100_000, maxBytes: Int = 64 << 20) {
        self.location = location
        self.maxEvents = max(1, maxEvents)
        self.maxBytes = max(1024, maxBytes)
    }

    public static let inMemory = EventJournalSettings(location: .memory)

    /// The settings with an automatic location made definite: the `events` directory beside
    /// `database` (a file path), or memory without one.
    public func resolved(besideDatabase database: String?) -> EventJournalSettings {
        guard case .automatic = location else { return self }
        var settings = self
        if let database, let slash = database.lastIndex(of: "/") {
            settings.location = .directory(String(database[..<slash]) + "/events")
        } else {
            settings.location = database == nil ? .memory : .directory("events")
        }
        return settings
    }
}
