import ColonySupervisor
import Foundation

/// Prints log files, optionally only their last lines, and with `follow` keeps printing what is
/// appended until interrupted. Files are read in chunks of `chunkSize`, never whole: an agent's
/// log can be as large as its disk, and `--tail` reads back from the end only as far as its
/// lines go.
struct LogFollower {
    let paths: [String]
    let prefix: Bool
    let tail: Int?
    static let chunkSize = 64 * 1024

    func run(follow: Bool) async throws {
        var logs = paths.map { OpenLog(path: $0) }
        for index in logs.indices {
            if let tail {
                let shown = logs[index].skipToLast(tail)
                if shown < tail { printLast(tail - shown, ofMovedAside: logs[index]) }
            }
            copyNew(&logs[index])
        }
        defer { for index in logs.indices { logs[index].close() } }
        guard follow else {
            for index in logs.indices { flush(&logs[index]) }
            return
        }
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(250))
            for index in logs.indices { copyNew(&logs[index]) }
        }
    }

    /// Prints what was appended to `log` since the last look (all of it from a file cut shorter),
    /// and when the file was replaced (a full log moved aside), the rest of the old one and then
    /// the new one from its start.
    private func copyNew(_ log: inout OpenLog) {
        copyToEnd(&log)
        if log.reopenIfReplaced() { copyToEnd(&log) }
    }

    private func copyToEnd(_ log: inout OpenLog) {
        while let chunk = log.readChunk(Self.chunkSize) {
            guard prefix else {
                FileHandle.standardOutput.write(Data(chunk))
                continue
            }
            let name = log.name
            log.lines.add(chunk) { printLine($0, of: name) }
        }
    }

    /// Prints the last `lines` lines of the file `log` was moved aside to (`NAME-N.log.1`), if
    /// there is one: what `--tail` asks for when the current file holds fewer lines.
    private func printLast(_ lines: Int, ofMovedAside log: OpenLog) {
        var earlier = OpenLog(path: log.path + ".1", name: log.name)
        defer { earlier.close() }
        guard earlier.isOpen else { return }
        earlier.skipToLast(lines)
        copyToEnd(&earlier)
        flush(&earlier)
    }

    /// Prints a line still waiting for its end.
    private func flush(_ log: inout OpenLog) {
        let name = log.name
        log.lines.flush { printLine($0, of: name) }
    }

    private func printLine(_ bytes: ArraySlice<UInt8>, of name: String) {
        Console.line("\(name) | \(String(decoding: bytes, as: UTF8.self))")
    }
}

/// One log file being printed: where the next read starts, and a line not yet ended (with names
/// prefixed).
struct OpenLog {
    let path: String
    let name: String
    private var descriptor: Int32
    private var identity: (device: UInt64, inode: UInt64)?
    private(set) var offset: Int64 = 0
    var lines = LineBuffer()

    /// `path`, named in prefixed output by `name` (its file name without the extension by default).
    init(path: String, name: String? = nil) {
        self.path = path
        self.name = name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        descriptor = -1
        reopenIfReplaced()
    }

    var isOpen: Bool { descriptor >= 0 }

    /// Opens the file if it was not open, or was replaced since (then from its start); true
    /// when it opened one.
    @discardableResult
    mutating func reopenIfReplaced() -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let current = (UInt64(info.st_dev), UInt64(info.st_ino))
        if descriptor >= 0, let identity, identity == current { return false }
        let fresh = open(path, O_RDONLY | O_CLOEXEC)
        guard fresh >= 0 else { return false }
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = fresh
        identity = current
        offset = 0
        return true
    }

    mutating func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// The next bytes from `offset`, at most `limit`; nil at the end. A file cut shorter than
    /// what was printed is printed again from its start.
    mutating func readChunk(_ limit: Int) -> [UInt8]? {
        guard descriptor >= 0 else { return nil }
        var info = stat()
        if fstat(descriptor, &info) == 0, Int64(info.st_size) < offset { offset = 0 }
        var chunk = [UInt8](repeating: 0, count: limit)
        let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, limit, off_t(offset)) }
        guard count > 0 else { return nil }
        offset += Int64(count)
        return Array(chunk[..<count])
    }

    /// Moves `offset` to the start of the last `lines` lines (a last line without its newline
    /// counts), reading back from the end one chunk at a time; how many lines that is (fewer
    /// when the file has fewer).
    @discardableResult
    mutating func skipToLast(_ lines: Int) -> Int {
        guard descriptor >= 0 else { return 0 }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return 0 }
        let size = Int64(info.st_size)
        guard lines > 0 else {
            offset = size
            return 0
        }
        // The newline that ends the file ends the last line: it does not start one.
        var end = size
        var newlines = 0
        var chunk = [UInt8](repeating: 0, count: LogFollower.chunkSize)
        while end > 0 {
            let start = max(0, end - Int64(chunk.count))
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, Int(end - start), off_t(start)) }
            guard count > 0 else { break }
            for index in stride(from: count - 1, through: 0, by: -1) where chunk[index] == UInt8(ascii: "\n") {
                if start + Int64(index) == size - 1 { continue }
                newlines += 1
                if newlines == lines {
                    offset = start + Int64(index) + 1
                    return lines
                }
            }
            end = start
        }
        offset = 0
        return size == 0 ? 0 : newlines + 1
    }
}
