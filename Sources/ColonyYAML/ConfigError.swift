/// A configuration problem, located in its file, with a hint where one helps.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String
    public var hint: String?
    /// Further problems found in the same pass (a file is reported whole, not one problem per
    /// run); each is printed on a line of its own.
    public var others: [ConfigError] = []

    /// The first of `problems`, carrying the rest; nil when there are none.
    public init?(all problems: [ConfigError]) {
        guard var first = problems.first else { return nil }
        first.others = Array(problems.dropFirst())
        self = first
    }

    /// This problem and the others, in order.
    public var all: [ConfigError] {
        [ConfigError(file: file, line: line, column: column, message: message, hint: hint)] + others
    }

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let line = "\(location): \(message)" + (hint.map { " (\($0))" } ?? "")
        return ([line] + others.map(\.description)).joined(separator: "\n")
    }
}
