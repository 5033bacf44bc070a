import ColonyCore
import ColonyYAML
import Foundation

/// Why an event journal directory cannot be used.
public struct JournalError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The journal's files: `journal-id` (the journal's identity), `lock` (held by the broker that
/// uses the directory) and segments `<first seq>.events` of length-prefixed, checksummed
/// records. New records go to the newest segment; a segment is closed at `segmentBytes` and
/// deleted once every record in it has left the window. A torn record (a write cut short)
/// ends its segment: it and anything after it are cut off when the journal is loaded.
final class JournalFile {
    let directory: URL
    let id: String
    /// The directory's lock, held while this journal is open (internal for the tests).
    let lock: FileLock
    private var segment: Int32 = -1
    private var segmentSize = 0
    /// The first seq of each segment, oldest first (the last is the one being written).
    private var segments: [UInt64] = []
    let segmentBytes: Int

    /// Opens (creating it if needed) the journal in `directory` and returns it with the records
    /// it holds, oldest first.
    static func open(_ path: String, segmentBytes: Int) throws(JournalError) -> (JournalFile, [JournalRecord]) {
        let directory = URL(fileURLWithPath: path, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw JournalError(description: "cannot create the event journal directory \(path): \(error.localizedDescription)")
        }
        let lock: FileLock
        do {
            lock = try FileLock(path: directory.appendingPathComponent("lock").path, permissions: 0o644, waiting: false)
        } catch .held {
            throw JournalError(description: "the event journal \(path) is in use by another broker (its lock file is held)")
        } catch {
            throw JournalError(description: error.description)
        }
        let idFile = directory.appendingPathComponent("journal-id")
        let id: String
        if let stored = try? String(contentsOf: idFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !stored.isEmpty {
            id = stored
        } else {
            id = String(UInt64.random(in: 1...UInt64.max), radix: 16)
            do {
                try Data(id.utf8).write(to: idFile, options: .atomic)
            } catch {
                throw JournalError(description: "cannot write \(idFile.path): \(error.localizedDescription)")
            }
        }
        let file = JournalFile(directory: directory, id: id, lock: lock, segmentBytes: segmentBytes)
        let records = try file.load()
        return (file, records)
    }

    private init(directory: URL, id: String, lock: FileLock, segmentBytes: Int) {
        self.directory = directory
        self.id = id
        self.lock = lock
        self.segmentBytes = segmentBytes
    }

    deinit {
        if segment >= 0 { close(segment) }
    }

    private func segmentPath(_ first: UInt64) -> String {
        let digits = String(first)
        return directory.appendingPathComponent(String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".events").path
    }

    /// Reads every segment, cutting off a torn tail, and opens the newest for appending.
    private func load() throws(JournalError) -> [JournalRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        segments = names.compactMap { $0.hasSuffix(".events") ? UInt64($0.dropLast(7)) : nil }.sorted()
        var records: [JournalRecord] = []
        for (position, first) in segments.enumerated() {
            let path = segmentPath(first)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw JournalError(description: "cannot read \(path)")
            }
            let (read, goodLength) = Self.decode([UInt8](data), after: records.last?.seq)
            records += read
            if goodLength < data.count {
                // A torn or foreign tail: keep what precedes it, drop later segments.
                truncate(path, Int64(goodLength))
                for later in segments[(position + 1)...] { unlink(segmentPath(later)) }
                segments = Array(segments[...position])
                break
            }
        }
        if segments.isEmpty { segments = [(records.last?.seq ?? 0) &+ 1] }
        try openNewest()
        return records
    }

    private func openNewest() throws(JournalError) {
        let path = segmentPath(segments[segments.count - 1])
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JournalError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        if segment >= 0 { close(segment) }
        segment = descriptor
        segmentSize = Int(lseek(descriptor, 0, SEEK_END))
    }

    /// Writes encoded records whose first seq is `first`; false if the write failed (the
    /// records must then not be used: their seqs are free again).
    func write(_ bytes: [UInt8], first: UInt64, oldestKept: UInt64) -> Bool {
        if segmentSize >= segmentBytes {
            segments.append(first)
            do { try openNewest() } catch { return false }
            deleteSegments(before: oldestKept)
        }
        let written = bytes.withUnsafeBytes { Foundation.write(segment, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            // Cut a partial write off, so the next record starts where this one did.
            if written > 0 { _ = ftruncate(segment, off_t(segmentSize)) }
            return false
        }
        segmentSize += written
        return true
    }

    /// Deletes segments every record of which is older than `oldest` (all but the newest).
    private func deleteSegments(before oldest: UInt64) {
        while segments.count > 1, segments[1] <= oldest {
            unlink(segmentPath(segments.removeFirst()))
        }
    }

    private func truncate(_ path: String, _ length: Int64) {
        let descriptor = Foundation.open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, off_t(length))
        close(descriptor)
    }
}

extension JournalFile {
    /// `[u32 body length][u64 FNV-1a of body][body]`, body = `[u64 seq][i64 ms][u32 frames]`
    /// then each frame as `[u32 length][bytes]`; little-endian.
    static func encode(_ record: JournalRecord, into output: inout [UInt8]) {
        var body: [UInt8] = []
        body.reserveCapacity(record.size)
        append(record.seq, to: &body)
        append(UInt64(bitPattern: record.atMilliseconds), to: &body)
        append(UInt32(record.frames.count), to: &body)
        for frame in record.frames {
            append(UInt32(frame.count), to: &body)
            body += frame
        }
        append(UInt32(body.count), to: &output)
        append(FNV1a.hash(body), to: &output)
        output += body
    }

    /// The records in `bytes` and how many bytes they span; decoding stops at the first record
    /// that is short, fails its checksum or does not follow `after` by one.
    static func decode(_ bytes: [UInt8], after: UInt64?) -> ([JournalRecord], Int) {
        var records: [JournalRecord] = []
        var offset = 0
        var previous = after
        while offset + 12 <= bytes.count {
            let length = Int(read(UInt32.self, bytes, offset))
            let checksum = read(UInt64.self, bytes, offset + 4)
            let start = offset + 12
            guard length >= 20, start + length <= bytes.count else { break }
            let body = bytes[start..<(start + length)]
            guard FNV1a.hash(body) == checksum else { break }
            let seq = read(UInt64.self, bytes, start)
            guard previous.map({ seq == $0 &+ 1 }) ?? true else { break }
            let atMilliseconds = Int64(bitPattern: read(UInt64.self, bytes, start + 8))
            let count = Int(read(UInt32.self, bytes, start + 16))
            var frames: [[UInt8]] = []
            var cursor = start + 20
            var intact = true
            for _ in 0..<count {
                guard cursor + 4 <= start + length else { intact = false; break }
                let frameLength = Int(read(UInt32.self, bytes, cursor))
                guard cursor + 4 + frameLength <= start + length else { intact = false; break }
                frames.append(Array(bytes[(cursor + 4)..<(cursor + 4 + frameLength)]))
                cursor += 4 + frameLength
            }
            guard intact, cursor == start + length else { break }
            records.append(JournalRecord(seq: seq, atMilliseconds: atMilliseconds, frames: frames))
            previous = seq
            offset = start + length
        }
        return (records, offset)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to output: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { output += $0 }
    }

    private static func read<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            for index in 0..<MemoryLayout<T>.size { target[index] = bytes[offset + index] }
        }
        return T(littleEndian: value)
    }
}
