/// A step's `condition`: a small, safe expression language — literals, references,
/// comparisons (`== != < <= > >=`), `and`, `or`, `not` and parentheses. Nothing else runs.
///
/// ```
/// steps.fetch.output.price > 100 and input.mode == 'live'
/// not (${steps.check.status} == "failed")
/// ```
public indirect enum Condition: Hashable, Sendable {
    case literal(JSONValue)
    case reference(Reference)
    case not(Condition)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case compare(Comparison, Condition, Condition)

    public enum Comparison: String, Hashable, Sendable, CaseIterable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    /// Every reference in the condition.
    public var references: [Reference] {
        switch self {
        case .literal: return []
        case .reference(let reference): return [reference]
        case .not(let inner): return inner.references
        case .and(let left, let right), .or(let left, let right), .compare(_, let left, let right):
            return left.references + right.references
        }
    }

    /// Parses condition text.
    public static func parse(_ text: String) -> Result<Condition, ExpressionError> {
        var parser = ConditionParser(text: text)
        do {
            let condition = try parser.parseOr()
            if let token = parser.peek() {
                throw ExpressionError("unexpected '\(token.text)'", column: token.column)
            }
            return .success(condition)
        } catch let error as ExpressionError {
            return .failure(error)
        } catch {
            return .failure(ExpressionError("\(error)"))
        }
    }

    /// Evaluates the condition, reading references through `resolve` (missing ones are null).
    public func evaluate(_ resolve: (Reference) -> JSONValue?) -> Bool {
        value(resolve).isTruthy
    }

    func value(_ resolve: (Reference) -> JSONValue?) -> JSONValue {
        switch self {
        case .literal(let value): return value
        case .reference(let reference): return resolve(reference) ?? .null
        case .not(let inner): return .bool(!inner.value(resolve).isTruthy)
        case .and(let left, let right): return .bool(left.value(resolve).isTruthy && right.value(resolve).isTruthy)
        case .or(let left, let right): return .bool(left.value(resolve).isTruthy || right.value(resolve).isTruthy)
        case .compare(let comparison, let left, let right):
            return .bool(Condition.compare(comparison, left.value(resolve), right.value(resolve)))
        }
    }

    static func compare(_ comparison: Comparison, _ left: JSONValue, _ right: JSONValue) -> Bool {
        switch comparison {
        case .equal: return left == right
        case .notEqual: return left != right
        default: break
        }
        let order: Bool?
        switch (left, right) {
        case (.number(let a), .number(let b)): order = ordered(comparison, a, b)
        case (.string(let a), .string(let b)): order = ordered(comparison, a, b)
        default: order = nil
        }
        return order ?? false
    }

    static func ordered<T: Comparable>(_ comparison: Comparison, _ a: T, _ b: T) -> Bool {
        switch comparison {
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        case .equal: return a == b
        case .notEqual: return a != b
        }
    }
}

extension JSONValue {
    /// false, null, 0, "" and empty collections are false; everything else is true.
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let value): return value
        case .number(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .array(let items): return !items.isEmpty
        case .object(let fields): return !fields.isEmpty
        }
    }
}

/// Tokens and a recursive-descent parser for conditions.
struct ConditionParser {
    struct Token {
        enum Kind { case number(Double), string(String), word(String), reference(String), symbol(String) }
        let kind: Kind
        let text: String
        let column: Int
    }

    private var tokens: [Token] = []
    private var position = 0
    private var lexError: ExpressionError?

    init(text: String) {
        do {
            tokens = try ConditionParser.tokenize(text)
        } catch let error as ExpressionError {
            lexError = error
        } catch {
            lexError = ExpressionError("\(error)")
        }
    }

    func peek() -> Token? { position < tokens.count ? tokens[position] : nil }

    private mutating func next() -> Token? {
        defer { position += 1 }
        return peek()
    }

    private mutating func accept(word: String) -> Bool {
        if case .word(let value)? = peek()?.kind, value == word { position += 1; return true }
        return false
    }

    private mutating func accept(symbol: String) -> Bool {
        if case .symbol(let value)? = peek()?.kind, value == symbol { position += 1; return true }
        return false
    }

    mutating func parseOr() throws -> Condition {
        if let lexError { throw lexError }
        var left = try parseAnd()
        while accept(word: "or") { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws -> Condition {
        var left = try parseNot()
        while accept(word: "and") { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws -> Condition {
        if accept(word: "not") { return .not(try parseNot()) }
        return try parseComparison()
    }

    private mutating func parseComparison() throws -> Condition {
        let left = try parsePrimary()
        if case .symbol(let symbol)? = peek()?.kind, let comparison = Condition.Comparison(rawValue: symbol) {
            position += 1
            return .compare(comparison, left, try parsePrimary())
        }
        return left
    }

    private mutating func parsePrimary() throws -> Condition {
        guard let token = next() else { throw ExpressionError("the condition ends too early") }
        switch token.kind {
        case .number(let value): return .literal(.number(value))
        case .string(let value): return .literal(.string(value))
        case .reference(let path):
            return try reference(path, at: token.column)
        case .word(let path) where path.contains("."):
            return try reference(path, at: token.column)
        case .word("true"): return .literal(.bool(true))
        case .word("false"): return .literal(.bool(false))
        case .word("null"): return .literal(.null)
        case .symbol("("):
            let inner = try parseOr()
            guard accept(symbol: ")") else { throw ExpressionError("missing ')'", column: peek()?.column ?? token.column) }
            return inner
        default:
            throw ExpressionError("unexpected '\(token.text)' (expected a value, a reference such as input.NAME, or '(')", column: token.column)
        }
    }

    private func reference(_ path: String, at column: Int) throws -> Condition {
        switch Reference.parse(path) {
        case .success(let reference): return .reference(reference)
        case .failure(var error):
            error.column = column
            throw error
        }
    }

    static func tokenize(_ text: String) throws -> [Token] {
        let characters = Array(text)
        var tokens: [Token] = []
        var index = 0
        func isWordCharacter(_ character: Character) -> Bool {
            character.isLetter || character.isNumber || character == "_" || character == "." || character == "-"
        }
        while index < characters.count {
            let character = characters[index]
            let column = index + 1
            if character.isWhitespace { index += 1; continue }
            if character == "$", index + 1 < characters.count, characters[index + 1] == "{" {
                guard let close = characters[(index + 2)...].firstIndex(of: "}") else {
                    throw ExpressionError("'${' without a closing '}'", column: column)
                }
                let path = String(characters[(index + 2)..<close]).trimmingCharacters(in: .whitespaces)
                tokens.append(Token(kind: .reference(path), text: String(characters[index...close]), column: column))
                index = close + 1
                continue
            }
            if character == "'" || character == "\"" {
                guard let close = characters[(index + 1)...].firstIndex(of: character) else {
                    throw ExpressionError("unterminated string", column: column)
                }
                let value = String(characters[(index + 1)..<close])
                tokens.append(Token(kind: .string(value), text: String(characters[index...close]), column: column))
                index = close + 1
                continue
            }
            if character.isNumber || (character == "-" && index + 1 < characters.count && characters[index + 1].isNumber) {
                var end = index + 1
                while end < characters.count, characters[end].isNumber || characters[end] == "." { end += 1 }
                let literal = String(characters[index..<end])
                guard let value = Double(literal) else { throw ExpressionError("'\(literal)' is not a number", column: column) }
                tokens.append(Token(kind: .number(value), text: literal, column: column))
                index = end
                continue
            }
            if character.isLetter || character == "_" {
                var end = index + 1
                while end < characters.count, isWordCharacter(characters[end]) { end += 1 }
                let word = String(characters[index..<end])
                tokens.append(Token(kind: .word(word), text: word, column: column))
                index = end
                continue
            }
            let two = index + 1 < characters.count ? String(characters[index...(index + 1)]) : ""
            if ["==", "!=", "<=", ">="].contains(two) {
                tokens.append(Token(kind: .symbol(two), text: two, column: column))
                index += 2
                continue
            }
            if "<>()".contains(character) {
                tokens.append(Token(kind: .symbol(String(character)), text: String(character), column: column))
                index += 1
                continue
            }
            if two == "&&" || two == "||" {
                throw ExpressionError("use 'and' / 'or' instead of '\(two)'", column: column)
            }
            throw ExpressionError("unexpected character '\(character)'", column: column)
        }
        return tokens
    }
}

import ColonyCore
import Foundation
