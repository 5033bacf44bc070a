import ColonyCore
import Foundation
import Testing

/// Timestamps are written digit by digit from a civil-date computation; they must read exactly
/// as the C library's calendar (`gmtime_r`) says, over the whole range Colony clamps to.
@Suite struct TimestampTests {
    private func reference(_ milliseconds: UInt64, between: String, zone: String) -> String {
        var parts = tm()
        var seconds = Int(milliseconds / 1000)
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d%@%02d:%02d:%02d.%03d%@", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      between, Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(milliseconds % 1000), zone)
    }

    @Test func readsAsTheCalendarSaysEverywhereInRange() {
        var generator = SystemRandomNumberGenerator()
        let edges: [UInt64] = [0, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_107_542_399_999,
                               253_402_300_799_999, 253_402_300_800_000, 1_000_000_000_000_000]
        let samples = edges + (0..<20_000).map { _ in UInt64.random(in: 0...1_000_000_000_000_000, using: &generator) }
            + (0..<5_000).map { _ in UInt64.random(in: 0...4_102_444_800_000, using: &generator) }
        for milliseconds in samples {
            #expect(Timestamp.sql(milliseconds: milliseconds) == reference(milliseconds, between: " ", zone: ""), "\(milliseconds)")
            #expect(Timestamp.iso8601(milliseconds: milliseconds) == reference(milliseconds, between: "T", zone: "Z"), "\(milliseconds)")
        }
    }
}
