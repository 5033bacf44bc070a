/// Something a step's params or condition can refer to: `${input.symbols}`,
/// `${steps.fetch.output.price}`, `${steps.fetch.status}`, `${context.account}` …
public enum Reference: Hashable, Sendable, CustomStringConvertible {
    /// A workflow input (and a path inside it).
    case input([String])
    /// A path inside an earlier step's output.
    case stepOutput(step: StepID, path: [String])
    /// An earlier step's status (`succeeded`, `failed`, `skipped` …).
    case stepStatus(step: StepID)
    /// An earlier step's error `code` or `message`.
    case stepError(step: StepID, field: String)
    /// The run's shared context.
    case context([String])
    /// In failure handlers: the failed step (`failure.step`) and its error (`failure.error.code`).
    case failure([String])
    /// In a workflow's `trigger`: a path inside the triggering event's JSON payload.
    case event([String])
    /// In a `for_each` step's params: the element this instance works on (`as: NAME` is
    /// written `${NAME}` and read as `${item}`).
    case item([String])

    /// The step this reference reads, if any.
    public var step: StepID? {
        switch self {
        case .stepOutput(let step, _), .stepStatus(let step), .stepError(let step, _): return step
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .input(let path): return (["input"] + path).joined(separator: ".")
        case .stepOutput(let step, let path): return (["steps", step.rawValue, "output"] + path).joined(separator: ".")
        case .stepStatus(let step): return "steps.\(step).status"
        case .stepError(let step, let field): return "steps.\(step).error.\(field)"
        case .context(let path): return (["context"] + path).joined(separator: ".")
        case .failure(let path): return (["failure"] + path).joined(separator: ".")
        case .event(let path): return (["event"] + path).joined(separator: ".")
        case .item(let path): return (["item"] + path).joined(separator: ".")
        }
    }

    /// The roots a reference may start with.
    public static let roots = ["input", "steps", "context", "failure", "event", "item"]

    /// Parses a dotted path such as `steps.fetch.output.price`.
    public static func parse(_ text: String) -> Result<Reference, ExpressionError> {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let root = parts.first, !parts.contains(where: \.isEmpty) else {
            return .failure(ExpressionError("'\(text)' is not a reference (expected names separated by dots)"))
        }
        let rest = Array(parts.dropFirst())
        switch root {
        case "input":
            guard !rest.isEmpty else { return .failure(ExpressionError("'input' needs a name: input.NAME")) }
            return .success(.input(rest))
        case "context":
            guard !rest.isEmpty else { return .failure(ExpressionError("'context' needs a name: context.NAME")) }
            return .success(.context(rest))
        case "failure":
            return .success(.failure(rest))
        case "event":
            return .success(.event(rest))
        case "item":
            return .success(.item(rest))
        case "steps":
            guard rest.count >= 2 else {
                return .failure(ExpressionError("'\(text)' should be steps.ID.output[.PATH], steps.ID.status or steps.ID.error.code|message"))
            }
            let step = StepID(rest[0])
            switch rest[1] {
            case "output": return .success(.stepOutput(step: step, path: Array(rest.dropFirst(2))))
            case "status" where rest.count == 2: return .success(.stepStatus(step: step))
            case "error" where rest.count == 3 && ["code", "message"].contains(rest[2]):
                return .success(.stepError(step: step, field: rest[2]))
            default:
                return .failure(ExpressionError("'\(text)' should be steps.ID.output[.PATH], steps.ID.status or steps.ID.error.code|message"))
            }
        default:
            return .failure(ExpressionError("unknown reference root '\(root)' in '\(text)' (use \(roots.joined(separator: ", ")))"))
        }
    }
}

/// A problem in a reference, template or condition, with its position in the text when known.
public struct ExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var column: Int?

    public init(_ message: String, column: Int? = nil) {
        self.message = message
        self.column = column
    }

    public var description: String { column.map { "\(message) (at column \($0))" } ?? message }
}

/// A string with `${…}` references in it.
public struct Template: Hashable, Sendable {
    public enum Piece: Hashable, Sendable {
        case text(String)
        case reference(Reference)
    }

    public var pieces: [Piece]

    /// The references in order.
    public var references: [Reference] {
        pieces.compactMap { if case .reference(let reference) = $0 { return reference } else { return nil } }
    }

    /// Parses `text`; `$${` stands for a literal `${`.
    public static func parse(_ text: String) -> Result<Template, ExpressionError> {
        var pieces: [Piece] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix("$${") {
                literal += "${"
                index = text.index(index, offsetBy: 3)
                continue
            }
            if text[index...].hasPrefix("${") {
                let start = text.index(index, offsetBy: 2)
                guard let close = text[start...].firstIndex(of: "}") else {
                    return .failure(ExpressionError("'${' without a closing '}'", column: text.distance(from: text.startIndex, to: index) + 1))
                }
                let path = text[start..<close].trimmingCharacters(in: .whitespaces)
                switch Reference.parse(path) {
                case .success(let reference):
                    if !literal.isEmpty { pieces.append(.text(literal)) }
                    literal = ""
                    pieces.append(.reference(reference))
                case .failure(var error):
                    error.column = text.distance(from: text.startIndex, to: index) + 1
                    return .failure(error)
                }
                index = text.index(after: close)
                continue
            }
            literal.append(text[index])
            index = text.index(after: index)
        }
        if !literal.isEmpty || pieces.isEmpty { pieces.append(.text(literal)) }
        return .success(Template(pieces: pieces))
    }

    /// The value: a template that is exactly one reference keeps the referenced value's type
    /// (`"${input.count}"` is a number); anything else is the text with references filled in.
    public func render(_ resolve: (Reference) -> JSONValue?) -> JSONValue {
        if pieces.count == 1, case .reference(let reference) = pieces[0] {
            return resolve(reference) ?? .null
        }
        return .string(pieces.map { piece in
            switch piece {
            case .text(let text): return text
            case .reference(let reference): return resolve(reference).map(\.description) ?? ""
            }
        }.joined())
    }
}

import ColonyCore
import Foundation
