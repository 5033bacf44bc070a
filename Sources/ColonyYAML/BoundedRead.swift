import Foundation

/// Files people name, read never past a bound: a path that turns out to be a huge file or a
/// device that never ends (`/dev/zero`) costs at most the bound, not the process's memory.
public enum BoundedRead {
    /// The most a small file (a key, a token, a password, a value given by `${file:…}`) may hold.
    public static let smallFileLimit = 64 * 1024

    /// At most `limit + 1` bytes of `path`: all of a file within the bound, and one byte more of
    /// a larger one, so the caller can tell. A file within the bound (a pipe too) is read to its
    /// end; a larger one only that far.
    public static func bytes(of path: String, limit: Int, what: String) throws(ConfigError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigError(file: path, message: "cannot read the \(what): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        return try bytes(from: descriptor, limit: limit, file: path, what: what)
    }

    /// At most `limit + 1` bytes of what the open `descriptor` reads from here on (see
    /// `bytes(of:limit:what:)`); `file` names it in an error. The caller closes it.
    static func bytes(from descriptor: Int32, limit: Int, file path: String, what: String) throws(ConfigError) -> [UInt8] {
        let bound = max(0, limit)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= bound {
            let wanted = min(chunk.count, bound + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw ConfigError(file: path, message: "cannot read the \(what): \(String(cString: strerror(errno)))")
            }
            bytes += chunk[..<count]
        }
        return bytes
    }

    /// `path` as UTF-8 text: refused when it does not read, holds more than `limit` bytes (no
    /// more than that is ever read) or is not UTF-8.
    public static func text(of path: String, limit: Int = smallFileLimit, what: String) throws(ConfigError) -> String {
        let bytes = try bytes(of: path, limit: limit, what: what)
        guard bytes.count <= limit else {
            throw ConfigError(file: path, message: "the \(what) has more than \(limit) bytes; at most that many are read")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(file: path, message: "the \(what) is not UTF-8 text")
        }
        return text
    }
}
