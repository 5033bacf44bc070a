import ColonyCore
import Foundation
import Testing

/// `JSONValue(parsing:)` reads bodies without `JSONDecoder`; it must agree with it on what
/// is JSON and what it means.
@Suite struct JSONValueParsingTests {
    private func decoded(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func agreesWithJSONDecoderOnValidAndInvalidText() {
        let samples = [
            "{}", "[]", "0", "-0", "1", "-12.5e3", "1E+2", "0.000001", "123456789012345678901234567890", "true", "false", "null",
            "\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "\"héllo ✓ 😀\"",
            " {\"a\": [1, 2, {\"b\": null}], \"c\": \"d\"} ", "[[[[]]]]", "{\"a\":{\"a\":{\"a\":{}}}}", "\n\t[1,\r\n2]\n",
            // Not JSON: each must be refused by both.
            "", " ", "{", "}", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
            "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"tab\there\"", "[1]]", "{} {}", "NaN", "1e400",
        ]
        for sample in samples {
            #expect(JSONValue(parsing: Array(sample.utf8)) == decoded(sample), "\(sample)")
        }
    }

    @Test func agreesWithJSONDecoderOnRandomDocuments() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let text = value.jsonText
            #expect(JSONValue(parsing: Array(text.utf8)) == decoded(text), "\(text)")
            #expect(JSONValue(parsing: Array(text.utf8)) == value)
        }
    }

    @Test func refusesInvalidUTF8AndTooDeepNesting() {
        #expect(JSONValue(parsing: [UInt8(ascii: "\""), 0xFF, 0xFE, UInt8(ascii: "\"")]) == nil)
        let deep = String(repeating: "[", count: JSONValue.maximumNesting + 1) + String(repeating: "]", count: JSONValue.maximumNesting + 1)
        #expect(JSONValue(parsing: Array(deep.utf8)) == nil)
        let deepest = String(repeating: "[", count: JSONValue.maximumNesting) + String(repeating: "]", count: JSONValue.maximumNesting)
        #expect(JSONValue(parsing: Array(deepest.utf8)) != nil)
        // Far beyond the limit: refused, not a stack overflow.
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(JSONValue(parsing: Array(hostile.utf8)) == nil)
    }

    @Test func bodiesThatAreNotJSONStayText() {
        #expect(JSONValue(body: Array("plain words".utf8)) == .string("plain words"))
        #expect(JSONValue(body: Array("{\"n\": 2}".utf8)) == .object(["n": .number(2)]))
        #expect(JSONValue(body: []) == .null)
    }

    static func randomValue(depth: Int, using generator: inout SystemRandomNumberGenerator) -> JSONValue {
        let kind = depth > 3 ? Int.random(in: 0..<4, using: &generator) : Int.random(in: 0..<6, using: &generator)
        switch kind {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2:
            let number = Bool.random(using: &generator)
                ? Double(Int.random(in: -1_000_000...1_000_000, using: &generator))
                : Double.random(in: -1e12...1e12, using: &generator)
            return .number(number)
        case 3: return .string(randomString(using: &generator))
        case 4: return .array((0..<Int.random(in: 0..<5, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<5, using: &generator) {
                fields[randomString(using: &generator)] = randomValue(depth: depth + 1, using: &generator)
            }
            return .object(fields)
        }
    }

    private static func randomString(using generator: inout SystemRandomNumberGenerator) -> String {
        let alphabet = Array("abcXYZ 019\"\\/\n\t\u{1}é中😀{}[],:")
        return String((0..<Int.random(in: 0..<12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
