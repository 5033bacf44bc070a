import Foundation
import ColonyCore
import Yams

/// A YAML mapping read with its file position, so every error can say where it is.
public struct YAMLMapping {
    public let file: String
    let node: Node
    let pairs: [(key: String, value: Node, line: Int)]

    /// Reads `text` (the contents of `file`) as a top-level mapping; empty text is an empty mapping.
    /// The text must be within `YAMLLimits` (nesting, size once aliases are expanded).
    public static func parse(_ text: String, file: String) throws(ConfigError) -> YAMLMapping {
        try YAMLLimits.checkFlowDepth(text, file: file)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, YAMLMapping.resolver)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: error.line, column: error.column, message: "invalid YAML: \(error.summary)")
        } catch {
            throw ConfigError(file: file, message: "invalid YAML: \(error)")
        }
        if let node { try YAMLLimits.checkExpandedSize(node, file: file) }
        return try YAMLMapping(node ?? Node.mapping(Node.Mapping([])), file: file, what: "the document")
    }

    /// Scalars are read as the text they are (every value is typed by the reader that asks for
    /// it): Yams' default resolver tags each scalar with NSRegularExpression, which
    /// swift-corelibs-foundation does not make safe on several threads at once ("No foreign
    /// strings"), and documents are read on several (the scheduler's and the trigger service's
    /// reloads, the broker's access list). Without it, reading YAML needs no lock.
    static let resolver = Resolver.basic

    /// A plain scalar YAML 1.1 reads as a boolean (`true`, `yes`, `on`, `false`, `no`, `off`, each
    /// in lower case, capitalized or upper case: the default resolver's set); nil for anything else.
    public static func boolean(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": false
        default: nil
        }
    }

    /// Reads `node` (found in `file`) as a mapping; `what` names it in errors.
    public init(_ node: Node, file: String, what: String) throws(ConfigError) {
        guard let mapping = node.mapping else {
            throw ConfigError(file: file, line: node.line, message: "\(what) must be a mapping of keys to values")
        }
        self.file = file
        self.node = node
        pairs = mapping.map { (key: $0.key.string ?? "\($0.key)", value: $0.value, line: $0.key.line ?? 0) }
    }

    /// The line of the mapping itself.
    public var line: Int? { node.line }

    /// Fails on any key not in `known`, suggesting the closest known one.
    public func rejectUnknownKeys(_ known: [String], in what: String) throws(ConfigError) {
        for pair in pairs where !known.contains(pair.key) {
            let suggestion = closestMatch(to: pair.key, in: known)
            throw ConfigError(
                file: file, line: pair.line, message: "unknown key '\(pair.key)' in \(what)",
                hint: suggestion.map { "did you mean '\($0)'?" } ?? "known keys: \(known.joined(separator: ", "))"
            )
        }
    }

    func pair(_ key: String) -> (key: String, value: Node, line: Int)? {
        pairs.first { $0.key == key }
    }

    /// The raw YAML node of `key` and the line of the key, for values of any shape.
    public func node(_ key: String) -> (node: Node, line: Int)? {
        pair(key).map { ($0.value, $0.line) }
    }

    /// The keys present, in file order.
    public var keys: [String] { pairs.map(\.key) }

    /// The line where `key` appears, if it does.
    public func line(of key: String) -> Int? { pair(key)?.line }

    /// A nested mapping.
    public func mapping(_ key: String) throws(ConfigError) -> YAMLMapping? {
        guard let pair = pair(key) else { return nil }
        if case .scalar(let scalar) = pair.value, scalar.string == "" || scalar.string == "~" || scalar.string == "null" {
            return nil
        }
        return try YAMLMapping(pair.value, file: file, what: "'\(key)'")
    }

    /// A list of mappings (`- name: …` entries).
    public func mappings(_ key: String) throws(ConfigError) -> [YAMLMapping]? {
        guard let pair = pair(key) else { return nil }
        guard case .sequence(let sequence) = pair.value else {
            throw ConfigError(file: file, line: pair.line, message: "'\(key)' must be a list")
        }
        var result: [YAMLMapping] = []
        for (index, node) in sequence.enumerated() {
            result.append(try YAMLMapping(node, file: file, what: "entry \(index + 1) of '\(key)'"))
        }
        return result
    }

    /// A list of strings; a single string is split at spaces (`command: python3 x.py`).
    public func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let pair = pair(key) else { return nil }
        switch pair.value {
        case .scalar(let scalar):
            return scalar.string.split(separator: " ").map(String.init)
        case .sequence(let sequence):
            var result: [String] = []
            for node in sequence {
                guard case .scalar(let scalar) = node else {
                    throw ConfigError(file: file, line: node.line ?? pair.line, message: "'\(key)' must be a list of strings")
                }
                result.append(scalar.string)
            }
            return result
        default:
            throw ConfigError(file: file, line: pair.line, message: "'\(key)' must be a string or a list of strings")
        }
    }

    /// A mapping of strings to strings (`environment:`).
    public func stringMap(_ key: String) throws(ConfigError) -> [String: String]? {
        guard let nested = try mapping(key) else { return nil }
        var result: [String: String] = [:]
        for pair in nested.pairs {
            guard case .scalar(let scalar) = pair.value else {
                throw ConfigError(file: file, line: pair.line, message: "'\(key).\(pair.key)' must be a single value")
            }
            result[pair.key] = scalar.string
        }
        return result
    }

    /// A number within `range`.
    public func number(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        guard let text = try string(key) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw ConfigError(file: file, line: line(of: key), message: "'\(key)' must be a number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// A string value.
    public func string(_ key: String) throws(ConfigError) -> String? {
        guard let pair = pair(key) else { return nil }
        guard case .scalar(let scalar) = pair.value else {
            throw ConfigError(file: file, line: pair.line, message: "'\(key)' must be a single value")
        }
        return scalar.string
    }

    /// An integer value within `range`.
    public func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigError(file: file, line: line(of: key), message: "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// A duration with its unit, such as `250ms`, `2.5s`, `5m`, `1h` (a bare number is refused:
    /// `200` could mean seconds or milliseconds). Zero only where `allowsZero`.
    public func duration(_ key: String, allowsZero: Bool = false) throws(ConfigError) -> Duration? {
        guard let text = try string(key) else { return nil }
        guard let value = parseDuration(text) else {
            throw ConfigError(file: file, line: line(of: key), message: "'\(key)' \(durationProblem(text))")
        }
        guard allowsZero || value > .zero else {
            throw ConfigError(file: file, line: line(of: key), message: "'\(key)' must be more than 0, not '\(text)'")
        }
        return value
    }

    /// One of `choices`.
    public func choice(_ key: String, from choices: [String]) throws(ConfigError) -> String? {
        guard let text = try string(key) else { return nil }
        guard choices.contains(text) else {
            throw ConfigError(file: file, line: line(of: key), message: "'\(key)' must be one of \(choices.joined(separator: ", ")), not '\(text)'",
                              hint: didYouMean(text, in: choices))
        }
        return text
    }
}

/// Parses `250ms`, `2.5s`, `5m`, `1h`, `1d` (and a bare `0`); nil if the unit is missing, or
/// the number malformed, negative, not finite or longer than `Duration.longest` (100 years).
public func parseDuration(_ text: String) -> Duration? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed == "0" { return .zero }
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
    for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
        let number = trimmed.dropLast(suffix.count)
        // "5ms" also ends in "s": only accept a plain number before the suffix.
        guard let value = Double(number) else { continue }
        return Duration(checkedSeconds: value * scale)
    }
    return nil
}

/// Why `text` is not a duration, as the rest of a sentence that starts with what was being read.
public func durationProblem(_ text: String) -> String {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if let number = Double(trimmed), number.isFinite, number > 0 {
        return "needs a unit: \(trimmed)s, \(trimmed)ms, \(trimmed)m or \(trimmed)h, not a bare '\(trimmed)'"
    }
    return "must be a duration like 250ms, 2.5s, 5m or 1h (at most 100 years), not '\(text)'"
}

extension Node {
    /// The 1-based line where the node starts.
    public var line: Int? { mark.map { $0.line } }
}

extension YamlError {
    var line: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default: return nil
        }
    }
    var column: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.column
        default: return nil
        }
    }
    var summary: String {
        switch self {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default: return "\(self)"
        }
    }
}
