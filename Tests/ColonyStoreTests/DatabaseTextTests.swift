import Foundation
import GRDB
import Testing

@testable import ColonyStore

/// The engine's hot path binds dates as text it formats itself: that text must be exactly what
/// GRDB stores for the same date, or reads and comparisons would see two formats.
@Suite struct DatabaseTextTests {
    @Test func datesAreStoredAsGRDBStoresThem() {
        var generator = SystemRandomNumberGenerator()
        let samples = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_795_000_000.999_9),
                       Date(timeIntervalSince1970: 951_782_400.5)]  // 2000-02-29
            + (0..<2000).map { _ in Date(timeIntervalSince1970: Double.random(in: 0...4_102_444_800, using: &generator)) }
        for date in samples {
            #expect(date.databaseText.databaseValue == date.databaseValue, "\(date.timeIntervalSince1970)")
        }
    }
}
