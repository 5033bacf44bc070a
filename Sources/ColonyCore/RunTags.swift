/// Checks labels given to a run at submission (`--tag env=prod`): at most 20, names of 1 to 64
/// letters, digits, '_', '-' or '.', values of at most 256 characters.
public enum RunTags {
    public static let maximumCount = 20

    /// The problem with `tags`, or nil when they are fine.
    public static func problem(in tags: [String: String]) -> String? {
        if tags.count > maximumCount { return "at most \(maximumCount) tags, not \(tags.count)" }
        for (name, value) in tags.sorted(by: { $0.key < $1.key }) {
            guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
                return "tag name '\(name)' must be 1 to 64 letters, digits, '_', '-' or '.'"
            }
            if value.count > 256 { return "tag '\(name)' has a value longer than 256 characters" }
        }
        return nil
    }

    /// Parses `NAME=VALUE` as given on the command line.
    public static func parse(_ text: String) -> (name: String, value: String)? {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}

/// Checks an id chosen for a run at submission (`--id KEY`), which makes submitting twice
/// return the first run: 1 to 100 letters, digits, '_', '-' or ':' (no '.', which child runs use).
public enum RunKey {
    public static func problem(in key: String) -> String? {
        guard (1...100).contains(key.count), key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-:".contains($0)) }) else {
            return "a run id must be 1 to 100 letters, digits, '_', '-' or ':', not '\(key)'"
        }
        return nil
    }
}
