import Foundation
import Yams

/// What a YAML file may cost to read. Configuration and workflow files come from people and,
/// through the orchestrator, from anyone who can edit them: a kilobyte of aliases must not
/// take the process's memory, nor deep nesting its stack.
public enum YAMLLimits {
    /// The largest file read.
    public static let maximumFileSize = 16 * 1024 * 1024
    /// The most nodes a document may have once every alias is expanded.
    public static let maximumExpandedNodes = 1_000_000
    /// The deepest nesting of flow collections (`[`, `{`).
    public static let maximumFlowDepth = 256

    /// Reads `path` as UTF-8 text: refused when missing, larger than `maximumFileSize` (no more
    /// than that is ever read into memory), or not valid UTF-8 (with the line and byte offset of
    /// the first bad byte). Whatever the file is (a pipe too), it is read until its end.
    public static func readText(path: String, what: String) throws(ConfigError) -> String {
        let bytes = try readBounded(path: path, what: what)
        guard bytes.count <= maximumFileSize else {
            throw ConfigError(file: path, message: "the file has more than \(maximumFileSize) bytes; at most that many are read")
        }
        return try text(of: bytes, file: path)
    }

    /// At most `maximumFileSize + 1` bytes of `path` (`BoundedRead.bytes`): all of a file that
    /// may be read, and one byte more of one that is too large, so the caller can tell.
    public static func readBounded(path: String, what: String) throws(ConfigError) -> [UInt8] {
        try BoundedRead.bytes(of: path, limit: maximumFileSize, what: what)
    }

    /// `bytes` as text, refused like `readText` refuses a file.
    public static func text(of bytes: [UInt8], file: String) throws(ConfigError) -> String {
        guard bytes.count <= maximumFileSize else {
            throw ConfigError(file: file, message: "the file has \(bytes.count) bytes; at most \(maximumFileSize) are read")
        }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let offset = firstInvalidUTF8(in: bytes)
        let line = bytes[..<offset].count(where: { $0 == UInt8(ascii: "\n") }) + 1
        throw ConfigError(file: file, line: line, message: "not valid UTF-8 at byte offset \(offset) (0x\(String(bytes[offset], radix: 16, uppercase: true)))",
                          hint: "save the file as UTF-8")
    }

    /// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> Int {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return min(offset, max(0, bytes.count - 1))
            case .error: return offset
            }
        }
    }

    /// Refuses text whose flow collections nest deeper than `maximumFlowDepth` (outside quotes
    /// and comments), before the recursive composer sees it.
    static func checkFlowDepth(_ text: String, file: String) throws(ConfigError) {
        var depth = 0
        var line = 1
        var quote: UInt8?
        var escaped = false
        var comment = false
        var previous: UInt8 = UInt8(ascii: "\n")
        // A quote opens a quoted scalar only where a value can start (not in "it's").
        let valueStarts: Set<UInt8> = Set(" \t\n[{,:-".utf8)
        for byte in text.utf8 {
            defer { previous = byte }
            if byte == UInt8(ascii: "\n") {
                line += 1
                comment = false
                continue
            }
            if comment { continue }
            if let open = quote {
                if escaped {
                    escaped = false
                } else if open == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == open {
                    quote = nil
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where valueStarts.contains(previous), UInt8(ascii: "'") where valueStarts.contains(previous):
                quote = byte
            case UInt8(ascii: "#") where previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\n") || previous == UInt8(ascii: "\t"):
                comment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumFlowDepth {
                    throw ConfigError(file: file, line: line, message: "collections nest deeper than \(maximumFlowDepth) levels")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default:
                break
            }
        }
    }

    /// Refuses a document that grows past `maximumExpandedNodes` once aliases are expanded
    /// (a "billion laughs"): counts nodes and stops at the limit, so it costs at most that.
    static func checkExpandedSize(_ root: Node, file: String) throws(ConfigError) {
        var remaining = maximumExpandedNodes
        var pending: [Node] = [root]
        while let node = pending.popLast() {
            remaining -= 1
            if remaining < 0 {
                throw ConfigError(file: file, line: node.line,
                                  message: "the document has more than \(maximumExpandedNodes) values once its aliases (*name) are expanded",
                                  hint: "use fewer or smaller aliases")
            }
            switch node {
            case .scalar: break
            case .sequence(let sequence): pending.append(contentsOf: sequence)
            case .mapping(let mapping):
                for pair in mapping {
                    pending.append(pair.key)
                    pending.append(pair.value)
                }
            case .alias: break
            }
        }
    }
}
