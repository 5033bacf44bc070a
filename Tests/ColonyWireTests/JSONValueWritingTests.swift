import ColonyCore
import Foundation
import Testing

/// A value's JSON text is what definitions are fingerprinted by and what the store keeps, so the
/// same value must keep giving the same bytes.
@Suite struct JSONValueWritingTests {
    @Test func aValuesTextIsPinnedByteForByte() {
        let value: JSONValue = .object([
            "zeta": .array([.null, .bool(true), .bool(false), .number(3), .number(-0.5), .number(1e15), .number(-2e14)]),
            "alpha": .string("quote \" backslash \\ newline \n return \r tab \t bell \u{07} unit \u{1F} é 中 😀 /"),
            "Beta": .object([:]),
            "é": .array([]),
        ])
        let expected = #"{"Beta":{},"alpha":"quote \" backslash \\ newline \n return \r tab \t bell \u0007 unit \u001f é 中 😀 /","#
            + #""zeta":[null,true,false,3,-0.5,1000000000000000.0,-200000000000000],"é":[]}"#
        #expect(value.jsonText == expected)
        #expect(value.description == expected)
        #expect(value.jsonBytes == Array(expected.utf8))
        #expect(JSONText.quote("a\u{0}b") == #""a\u0000b""#)
        #expect(JSONValue.string("raw").description == "raw")
        #expect(JSONValue.string("raw").jsonText == #""raw""#)
    }

    @Test func everyTextReadsBackAsItsValue() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let value = JSONValueParsingTests.randomValue(depth: 0, using: &generator)
            let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(value.jsonBytes))
            #expect(decoded == value, "\(value.jsonText)")
        }
    }
}
