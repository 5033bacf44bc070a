import ColonyCore
import Foundation

/// What a watched file holds, told without reading it once it has settled. A stamp keeps the
/// file's status (device, inode, size, modification and change times) and a hash of what
/// `YAMLLimits.readBounded` reads of it. At the next look, a settled file whose status has not
/// moved keeps its hash unread; any other is read and hashed again. A file settles when its
/// status last changed at least `settling` before it was looked at: a file system's clock ticks
/// coarsely, so two writes within one tick can leave size and times alike, and only the content
/// tells them apart (git's "racily clean" entries). The change time (ctime) cannot be set back by
/// `touch` or `cp -p`, so any write after a settled look moves it. Only regular files are read:
/// what a named pipe sends would be gone for the reader that wants it, so a pipe or a device
/// is stamped by its status alone, judged on the file actually opened (a pipe renamed into a
/// regular file's place between the look and the read is not read either).
public struct FileStamp: Sendable {
    /// FNV-1a of a regular file's first `YAMLLimits.maximumFileSize + 1` bytes, or of another
    /// kind of file's status; 0 when there is no such file or it does not read. Equal hashes
    /// mean the file reads the same.
    public let contentHash: UInt64
    let status: Status?
    /// Whether the status alone tells, at the next look, that the file has not changed.
    let settled: Bool

    /// How long after its last change a file is read again at each look, status unchanged or not.
    public static let settling: Duration = .seconds(2)

    /// The parts of a file's `stat` that any write changes.
    struct Status: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var changed: Int64
        var isRegularFile: Bool
    }

    init(contentHash: UInt64, status: Status?, settled: Bool) {
        self.contentHash = contentHash
        self.status = status
        self.settled = settled
    }

    /// The file at `path` now. `previous`, the stamp of the last look, lends its hash without a
    /// read when it was settled and the file's status is as it was.
    public static func of(_ path: String, after previous: FileStamp?) -> FileStamp {
        of(path, after: previous, beforeOpening: {})
    }

    /// `of(_:after:)`, calling `beforeOpening` between the look at the path's status and the
    /// file's opening: a test puts a named pipe in the file's place there.
    static func of(_ path: String, after previous: FileStamp?, beforeOpening: () -> Void) -> FileStamp {
        let now = wallClockNanoseconds()
        let status = Status(path: path)
        if let previous, previous.settled, let status, status == previous.status {
            return previous
        }
        guard let status else { return FileStamp(contentHash: 0, status: nil, settled: false) }
        guard status.isRegularFile else { return FileStamp(unread: status) }
        beforeOpening()
        // Opened without waiting for a writer, and judged again by the opened file's own status:
        // a pipe renamed into the file's place since the look above is stamped, never read.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        defer { if descriptor >= 0 { close(descriptor) } }
        guard descriptor >= 0, let opened = Status(descriptor: descriptor) else {
            return FileStamp(contentHash: 0, status: status, settled: status.hasSettled(at: now))
        }
        guard opened.isRegularFile else { return FileStamp(unread: opened) }
        let bytes = try? BoundedRead.bytes(from: descriptor, limit: YAMLLimits.maximumFileSize, file: path, what: "file")
        return FileStamp(contentHash: bytes.map { FNV1a.hash($0) } ?? 0, status: opened, settled: opened.hasSettled(at: now))
    }

    /// The stamp of a file that is not read (a pipe, a device): its status stands for its content.
    init(unread status: Status) {
        self.init(contentHash: status.fingerprint, status: status, settled: false)
    }

    /// The real-time clock, as file times are kept.
    static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Status.nanoseconds(now)
    }
}

extension FileStamp.Status {
    /// `path`'s status, following symbolic links; nil when it has none (missing, unreadable directory).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    /// The status of the file open on `descriptor`; nil when it has none.
    init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(info)
    }

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Self.nanoseconds(info.st_mtim)
        changed = Self.nanoseconds(info.st_ctim)
        isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
    }

    /// FNV-1a of the status itself: what stands for the content of a file that is not read.
    var fingerprint: UInt64 {
        var bytes: [UInt8] = []
        for field in [device, inode, UInt64(bitPattern: size), UInt64(bitPattern: modified), UInt64(bitPattern: changed)] {
            withUnsafeBytes(of: field.littleEndian) { bytes += $0 }
        }
        return FNV1a.hash(bytes)
    }

    static func nanoseconds(_ time: timespec) -> Int64 {
        Int64(time.tv_sec).multipliedReportingOverflow(by: 1_000_000_000).partialValue &+ Int64(time.tv_nsec)
    }

    /// Whether a regular file whose status reads like this, looked at `now` (real time, in
    /// nanoseconds), has had its last change long enough ago that a later write must move the
    /// change time. Only a regular file settles (another is never read).
    func hasSettled(at now: Int64) -> Bool {
        guard isRegularFile else { return false }
        let (since, overflow) = now.subtractingReportingOverflow(changed)
        return !overflow && since >= FileStamp.settling.nanosecondsClamped
    }
}

/// The stamps of a set of files (the workflow files), to tell whether any of them now reads
/// differently, a file added or removed included.
public struct FileStamps: Sendable {
    private var stamps: [String: FileStamp] = [:]

    public init() {}

    /// Looks at `paths` now and keeps their stamps; true when the set of files or what any of
    /// them reads differs from the last look (always at the first).
    public mutating func refresh(_ paths: [String]) -> Bool {
        var fresh: [String: FileStamp] = [:]
        for path in paths where fresh[path] == nil {
            fresh[path] = FileStamp.of(path, after: stamps[path])
        }
        let changed = fresh.count != stamps.count || fresh.contains { path, stamp in stamps[path]?.contentHash != stamp.contentHash }
        stamps = fresh
        return changed
    }

    /// The content hash of each file at the last look.
    public var contentHashes: [String: UInt64] { stamps.mapValues(\.contentHash) }
}
