/// Sizes every Colony socket and table agrees on, so no peer can make a process hold more.
public enum MessageLimits {
    /// The largest message (all frames) a socket accepts unless configured otherwise: 16 MiB.
    public static let defaultMaximumSize: Int64 = 16 * 1024 * 1024
    /// The longest run id a gate records.
    public static let maximumRunIDBytes = 256
    /// The longest failure reason a gate keeps; longer ones are cut (at a character boundary).
    public static let maximumReasonBytes = 1024

    /// `text` cut to at most `bytes` UTF-8 bytes, at a character boundary, marked with "…".
    public static func truncated(_ text: String, toBytes bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        var used = 0
        for character in text {
            let width = character.utf8.count
            guard used + width <= bytes - 3 else { break }
            result.append(character)
            used += width
        }
        return result + "…"
    }
}

extension FailedRun {
    /// This record within the gate's bounds: the reason cut to `maximumReasonBytes`; nil when
    /// the run id is empty or longer than `maximumRunIDBytes`.
    public var bounded: FailedRun? {
        guard !run.isEmpty, run.utf8.count <= MessageLimits.maximumRunIDBytes else { return nil }
        var copy = self
        copy.reason = MessageLimits.truncated(reason, toBytes: MessageLimits.maximumReasonBytes)
        return copy
    }
}
