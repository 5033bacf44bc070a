import ColonyCore
import Foundation

// Every time the CLI shows, in text and in JSON, is `Date.timestamp` (ColonyCore): ISO 8601 in
// UTC with milliseconds and its zone, so a nightly schedule's next tick says which night.

/// Milliseconds since the epoch (a peer's header) as `Date.timestamp` shows them; `-` for none.
func timestamp(milliseconds: UInt64?) -> String {
    milliseconds.map { Timestamp.iso8601(milliseconds: $0) } ?? "-"
}

/// The JSON encoder of every `--json` output: sorted keys, and dates as `Date.timestamp` writes them.
func jsonEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(date.timestamp)
    }
    return encoder
}
