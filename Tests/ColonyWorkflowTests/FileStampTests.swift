import ColonyCore
@testable import ColonyYAML
import Foundation
import Testing

/// A watched file is read again only when its status moved or it changed too recently for its
/// status to be trusted; otherwise the last look's hash stands without a read.
@Suite struct FileStampTests {
    let directory: URL
    let file: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-filestamp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = directory.appendingPathComponent("watched.yaml").path
        try "a: 1\n".write(toFile: file, atomically: false, encoding: .utf8)
    }

    func removeDirectory() { try? FileManager.default.removeItem(at: directory) }

    /// A stamp that claims `hash` for the file as it is now.
    func stamp(claiming hash: UInt64, settled: Bool) throws -> FileStamp {
        let status = try #require(FileStamp.Status(path: file))
        return FileStamp(contentHash: hash, status: status, settled: settled)
    }

    @Test func aSettledFileWhoseStatusHasNotMovedIsNotRead() throws {
        defer { removeDirectory() }
        #expect(FileStamp.of(file, after: try stamp(claiming: 42, settled: true)).contentHash == 42)
    }

    @Test func aFileChangedTooRecentlyIsReadEvenWhenItsStatusHasNotMoved() throws {
        defer { removeDirectory() }
        #expect(FileStamp.of(file, after: try stamp(claiming: 42, settled: false)).contentHash == FNV1a.hash(Array("a: 1\n".utf8)))
    }

    @Test func aSettledFileIsReadOnceItsStatusMoves() throws {
        defer { removeDirectory() }
        let before = try stamp(claiming: 42, settled: true)
        try "a: 2\n".write(toFile: file, atomically: false, encoding: .utf8)
        #expect(FileStamp.of(file, after: before).contentHash == FNV1a.hash(Array("a: 2\n".utf8)))
    }

    @Test func onlyARegularFileUnchangedForTheSettlingTimeIsSettled() throws {
        defer { removeDirectory() }
        var status = try #require(FileStamp.Status(path: file))
        let settling = FileStamp.settling.nanosecondsClamped
        #expect(status.hasSettled(at: status.changed + settling))
        #expect(!status.hasSettled(at: status.changed + settling - 1))
        #expect(!status.hasSettled(at: status.changed - 1), "a change time in the future (a clock set back) is not trusted")
        #expect(!status.hasSettled(at: .min), "no overflow")
        status.isRegularFile = false
        #expect(!status.hasSettled(at: status.changed + settling), "a pipe's status says nothing of what it sends")
    }

    /// What a named pipe sends belongs to whoever loads the file: the stamp never opens it. A
    /// watchdog writes and closes the pipe after a minute, so a stamp that opened it would come
    /// back with the hash of nothing instead of stalling the test.
    @Test func aNamedPipeIsStampedByItsStatusAndNeverRead() async throws {
        defer { removeDirectory() }
        let pipe = directory.appendingPathComponent("pipe.yaml").path
        #expect(mkfifo(pipe, 0o600) == 0)
        let watchdog = Task.detached {
            try await Task.sleep(for: .seconds(60))
            let descriptor = open(pipe, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if descriptor >= 0 { close(descriptor) }
        }
        defer { watchdog.cancel() }
        let stamp = await onThreadOfItsOwn { FileStamp.of(pipe, after: nil) }
        let status = try #require(FileStamp.Status(path: pipe))
        #expect(stamp.contentHash == status.fingerprint)
        #expect(!stamp.settled)
    }

    /// A pipe renamed into a regular file's place between the look at its status and the read
    /// (as a test of the broker's access list does, any time) is judged by the file opened: it
    /// is stamped by its own status and not read, so what it sends stays for the reader that
    /// loads the file. Before, the stamp waited for a writer and took what it sent.
    @Test func aPipePutInTheFilesPlaceJustBeforeTheReadIsNotRead() async throws {
        defer { removeDirectory() }
        let file = self.file
        let fifo = directory.appendingPathComponent("pipe.yaml").path
        let watchdog = Task.detached {
            try await Task.sleep(for: .seconds(60))
            let descriptor = open(file, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if descriptor >= 0 { close(descriptor) }
        }
        defer { watchdog.cancel() }
        let stamp = await onThreadOfItsOwn {
            FileStamp.of(file, after: nil, beforeOpening: {
                guard mkfifo(fifo, 0o600) == 0, rename(fifo, file) == 0 else { fatalError("cannot put a pipe in place: \(errno)") }
            })
        }
        let status = try #require(FileStamp.Status(path: file))
        #expect(!status.isRegularFile)
        #expect(stamp.status == status && stamp.contentHash == status.fingerprint, "stamped by the pipe's own status")
        #expect(!stamp.settled)
    }

    @Test func aMissingFileHashesToZeroAndIsReadAtEveryLook() throws {
        defer { removeDirectory() }
        let missing = FileStamp.of(directory.appendingPathComponent("none.yaml").path, after: nil)
        #expect(missing.contentHash == 0)
        #expect(!missing.settled)
    }

    @Test func filesComingAndGoingAreChanges() throws {
        defer { removeDirectory() }
        let other = directory.appendingPathComponent("other.yaml").path
        var files = FileStamps()
        var looks: [Bool] = []
        looks.append(files.refresh([file]))
        looks.append(files.refresh([file]))
        try "b: 1\n".write(toFile: other, atomically: false, encoding: .utf8)
        looks.append(files.refresh([file, other]))
        looks.append(files.refresh([file, other]))
        looks.append(files.refresh([file]))
        try "a: 3\n".write(toFile: file, atomically: false, encoding: .utf8)
        looks.append(files.refresh([file]))
        // The first look, unchanged, a file added, unchanged, a file gone, a file edited.
        #expect(looks == [true, false, true, false, true, true])
    }
}
