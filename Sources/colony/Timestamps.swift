import ColonyCore
import Foundation

/// Every time the CLI shows, in text and in JSON: ISO 8601 in UTC with milliseconds and its
/// zone (`2026-11-29T01:00:00.000Z`), so a nightly schedule's next tick says which night.
func timestamp(_ date: Date) -> String { date.timestamp }

/// Milliseconds since the epoch (a peer's header) as `timestamp` shows them; `-` for none.
func timestamp(milliseconds: UInt64?) -> String {
    guard let milliseconds else { return "-" }
    return timestamp(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
}

/// The JSON encoder of every `--json` output: sorted keys, and dates as `timestamp` writes them.
func jsonEncoder(pretty: Bool = true) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(timestamp(date))
    }
    return encoder
}
