@testable import ColonyBroker
import ColonyWire
import Foundation
import Testing
import ZeroMQ

/// The event journal's window, its files and its recovery from a torn write.
@Suite struct EventJournalTests {
    func record(_ seq: UInt64, topic: String = "orders.new", payload: String = "{}") -> JournalRecord {
        JournalRecord(seq: seq, atMilliseconds: 1_000 + Int64(seq), frames: [Array(topic.utf8), Array(payload.utf8)])
    }

    func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("colony-journal-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    @Test func theWindowKeepsTheNewestWithinItsCountAndByteBounds() {
        var window = JournalWindow(maxEvents: 3, maxBytes: 1 << 20)
        for seq: UInt64 in 1...5 { window.append(record(seq)) }
        #expect(window.records.map(\.seq) == [3, 4, 5] && window.oldest == 3 && window.newest == 5)
        var small = JournalWindow(maxEvents: 100, maxBytes: 300)
        for seq: UInt64 in 1...10 { small.append(record(seq, payload: String(repeating: "x", count: 100))) }
        #expect(small.bytes <= 300 && small.records.count == 1 && small.newest == 10)
        // One record larger than the byte bound is still kept (alone): readers can get it.
        small.append(record(11, payload: String(repeating: "y", count: 1_000)))
        #expect(small.records.map(\.seq) == [11])
    }

    @Test func readsFollowTheCursorFilterByTopicAndResetForAnotherJournal() {
        var window = JournalWindow(maxEvents: 100, maxBytes: 1 << 20)
        for seq: UInt64 in 1...6 { window.append(record(seq, topic: seq.isMultiple(of: 2) ? "orders.new" : "market.tick")) }
        let read = JournalRead(journal: "j1", after: 2, topics: ["orders."], limit: 10)
        let answer = window.read(read, journal: "j1")
        #expect(answer.batch.events.map(\.seq) == [4, 6] && answer.batch.through == 6 && answer.frames.count == 4)
        #expect(answer.frames[0] == Array("orders.new".utf8))
        // A limit stops the scan at the last event returned.
        let limited = window.read(JournalRead(journal: "j1", after: 0, topics: [""], limit: 2), journal: "j1")
        #expect(limited.batch.events.map(\.seq) == [1, 2] && limited.batch.through == 2)
        // A cursor of another journal reads from the start; one past the end is brought back.
        #expect(window.read(JournalRead(journal: "old", after: 5, topics: ["orders."]), journal: "j1").batch.events.map(\.seq) == [2, 4, 6])
        let ahead = window.read(JournalRead(journal: "j1", after: 99, topics: [""]), journal: "j1").batch
        #expect(ahead.events.isEmpty && ahead.through == 6)
        // Nothing new: through stays at the cursor.
        let idle = window.read(JournalRead(journal: "j1", after: 6, topics: [""]), journal: "j1").batch
        #expect(idle.events.isEmpty && idle.through == 6)
    }

    @Test func aReaderBehindTheBoundsIsToldWhereTheJournalNowStarts() {
        var window = JournalWindow(maxEvents: 2, maxBytes: 1 << 20)
        for seq: UInt64 in 1...5 { window.append(record(seq)) }
        let batch = window.read(JournalRead(journal: "j", after: 1, topics: [""]), journal: "j").batch
        #expect(batch.oldest == 4 && batch.events.map(\.seq) == [4, 5])
    }

    @Test func aDirectoryJournalKeepsItsEventsAndIdentityAcrossReopening() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = EventJournalSettings(location: .directory(directory), maxEvents: 1_000, maxBytes: 1 << 20)
        var id = ""
        do {
            let journal = try EventJournal.open(settings)
            id = journal.id
            #expect(journal.append([[Frame("orders.new"), Frame("{\"n\":1}")], [Frame("orders.new"), Frame("{\"n\":2}")]]))
            #expect(journal.append([[Frame("orders.new"), Frame("{\"n\":3}")]]))
            // The directory is this broker's while it is open.
            #expect(throws: JournalError.self) { try EventJournal.open(settings) }
        }
        let reopened = try EventJournal.open(settings)
        #expect(reopened.id == id && reopened.newest == 3)
        let answer = reopened.read(JournalRead(journal: id, after: 1, topics: ["orders."]))
        #expect(answer.batch.events.map(\.seq) == [2, 3] && answer.frames[1] == Array("{\"n\":2}".utf8))
        #expect(reopened.append([[Frame("orders.new"), Frame("{\"n\":4}")]]) && reopened.newest == 4)
    }

    @Test func aTornWriteIsCutOffAndItsSeqIsNotReusedForAnEventSeenBefore() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = EventJournalSettings(location: .directory(directory))
        do {
            let journal = try EventJournal.open(settings)
            #expect(journal.append([[Frame("a"), Frame("1")], [Frame("a"), Frame("2")]]))
        }
        // A write cut short (kill -9 inside write(2)): half a record at the end of the segment.
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".events") })
        var torn: [UInt8] = []
        JournalFile.encode(record(3), into: &torn)
        let handle = try #require(FileHandle(forWritingAtPath: directory + "/" + segment))
        handle.seekToEndOfFile()
        handle.write(Data(torn.prefix(torn.count / 2)))
        handle.closeFile()
        let reopened = try EventJournal.open(settings)
        #expect(reopened.newest == 2)
        #expect(reopened.append([[Frame("a"), Frame("3")]]))
        let again = try #require(Optional(reopened.read(JournalRead(journal: reopened.id, after: 0, topics: [""]))))
        #expect(again.batch.events.map(\.seq) == [1, 2, 3] && again.frames[5] == Array("3".utf8))
    }

    /// A child process forked by another thread shares the lock's open file until its exec
    /// closes it (seen on CI: a journal reopened in that moment was "in use by another broker").
    /// A closed journal unlocks first, so such a copy of its descriptor keeps nothing locked.
    @Test func aCopyOfTheLockInAForkedChildDoesNotKeepAClosedJournalLocked() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var copy: Int32 = -1
        do {
            let (file, _) = try JournalFile.open(directory, segmentBytes: 64 << 10)
            copy = dup(file.lock.descriptor)  // what a fork gives the child
        }
        defer { close(copy) }
        #expect(copy >= 0)
        #expect(throws: Never.self) { _ = try JournalFile.open(directory, segmentBytes: 64 << 10) }
    }

    @Test func oldSegmentsAreDeletedOnceTheirEventsLeftTheWindow() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // 64 KiB segments (the smallest), a 128 KiB window: disk use stays near the window.
        let settings = EventJournalSettings(location: .directory(directory), maxEvents: 1_000_000, maxBytes: 128 << 10)
        let journal = try EventJournal.open(settings)
        let payload = Frame(String(repeating: "z", count: 1_000))
        for _ in 0..<1_000 { #expect(journal.append([[Frame("bulk"), payload]])) }
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".events") }
        let bytes = try segments.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: directory + "/" + $1)[.size] as? Int) ?? 0) }
        #expect(journal.newest == 1_000 && bytes <= (128 << 10) + 2 * (64 << 10) + 2_000, "\(segments.count) segments, \(bytes) bytes")
        #expect(journal.extent.bytes <= 128 << 10)
    }
}

/// A reader's numbers are clamped to what the broker serves, and hostile topic lists refused.
@Suite struct JournalReadBoundsTests {
    @Test func limitsAndWaitsAreClampedAndTooManyOrTooLongTopicsAreRefused() {
        let low = JournalRead(journal: nil, after: 0, topics: [""], limit: -5, waitMilliseconds: -1).bounded
        #expect(low?.limit == 1 && low?.waitMilliseconds == 0)
        let high = JournalRead(journal: nil, after: .max, topics: [""], limit: .max, waitMilliseconds: .max).bounded
        #expect(high?.limit == JournalRead.maximumLimit && high?.waitMilliseconds == JournalRead.maximumWaitMilliseconds)
        #expect(JournalRead(journal: nil, after: 0, topics: Array(repeating: "a.", count: JournalRead.maximumTopics + 1)).bounded == nil)
        #expect(JournalRead(journal: nil, after: 0, topics: [String(repeating: "x", count: JournalRead.maximumTopicBytes + 1)]).bounded == nil)
        // A cursor past the end of the journal reads nothing and is told where the journal ends.
        var window = JournalWindow(maxEvents: 10, maxBytes: 1 << 20)
        window.append(JournalRecord(seq: 1, atMilliseconds: 0, frames: [Array("t".utf8)]))
        let past = window.read(JournalRead(journal: "j", after: .max, topics: [""]), journal: "j").batch
        #expect(past.events.isEmpty && past.through == 1)
    }
}
