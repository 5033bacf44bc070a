import ColonyCore
import Foundation
import Logging
import Testing
@testable import ColonyLogging

@Suite struct LogFormatTests {
    func event(_ message: Logger.Message, _ metadata: Logger.Metadata) -> LogEvent {
        LogEvent(level: .warning, message: message, metadata: metadata, source: "t", file: #fileID, function: #function, line: #line)
    }

    @Test func jsonLinesAreOneObjectWithMetadata() throws {
        let handler = ColonyLogHandler(label: "broker", format: .json, level: .info)
        let line = handler.format(event("agent lost", ["agent": "math", "correlation_id": "run-1"]))
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["message"] == "agent lost")
        #expect(object["agent"] == "math")
        #expect(object["correlation_id"] == "run-1")
        #expect(object["level"] == "warning")
        #expect(object["label"] == "broker")
    }

    @Test func textLinesQuoteValuesWithSpaces() {
        let handler = ColonyLogHandler(label: "agent", format: .text, level: .info)
        let line = handler.format(event("handler failed", ["error": "cannot divide", "code": "division_by_zero"]))
        #expect(line.hasSuffix("[agent] handler failed code=division_by_zero error=\"cannot divide\""))
    }

    @Test func timestampsAreUTCWithMilliseconds() {
        #expect(Timestamp.iso8601(milliseconds: 1_000_000_000_123) == "2001-09-09T01:46:40.123Z")
    }
}
