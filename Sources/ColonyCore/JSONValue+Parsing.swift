/// A direct JSON reader for `JSONValue`: one pass over the bytes, no `Decoder` and no thrown
/// error per value tried (what `JSONDecoder` costs on every message body).
extension JSONValue {
    /// Nesting deeper than this is refused (as `JSONDecoder` refuses it), so input from a peer
    /// cannot exhaust the stack.
    public static let maximumNesting = 512

    /// The JSON text `bytes` holds (RFC 8259, any value at the top, whitespace around it; a
    /// trailing comma in an array or object is let pass, as `JSONDecoder` lets it), or nil when
    /// it is not exactly one JSON value: malformed, invalid UTF-8, a number beyond `Double`, or
    /// nested deeper than `maximumNesting`.
    public init?(parsing bytes: some Collection<UInt8>) {
        let read = { (buffer: UnsafeRawBufferPointer) -> JSONValue? in
            var reader = JSONReader(buffer)
            return reader.document()
        }
        // Bytes in one piece are read in place; any other collection is copied once first.
        let parsed = bytes.withContiguousStorageIfAvailable { read(UnsafeRawBufferPointer($0)) } ?? Array(bytes).withUnsafeBytes(read)
        guard let parsed else { return nil }
        self = parsed
    }
}

private struct JSONReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    var depth = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func document() -> JSONValue? {
        guard let value = value() else { return nil }
        skipWhitespace()
        // Not a ternary: JSONValue is ExpressibleByNilLiteral, so `: nil` would read as `.null`.
        guard offset == bytes.count else { return nil }
        return value
    }

    private var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): offset += 1
            default: return
            }
        }
    }

    private mutating func value() -> JSONValue? {
        skipWhitespace()
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    private mutating func literal(_ text: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = text.utf8CodeUnitCount
        guard bytes.count - offset >= count else { return nil }
        for index in 0..<count where bytes[offset + index] != text.utf8Start[index] { return nil }
        offset += count
        return value
    }

    private mutating func object() -> JSONValue? {
        var fields: [String: JSONValue] = [:]
        let complete = elements(closing: UInt8(ascii: "}")) { reader in
            guard reader.current == UInt8(ascii: "\""), let key = reader.string() else { return false }
            reader.skipWhitespace()
            guard reader.current == UInt8(ascii: ":") else { return false }
            reader.offset += 1
            guard let value = reader.value() else { return false }
            fields[key] = value
            return true
        }
        guard complete else { return nil }  // not a ternary: `: nil` could read as `.null`
        return .object(fields)
    }

    private mutating func array() -> JSONValue? {
        var items: [JSONValue] = []
        let complete = elements(closing: UInt8(ascii: "]")) { reader in
            guard let item = reader.value() else { return false }
            items.append(item)
            return true
        }
        guard complete else { return nil }
        return .array(items)
    }

    /// From an array's or object's opening bracket to `closing`: each element read by `element`,
    /// separated by commas (a trailing one let pass); false when one fails, a separator is
    /// missing, or the nesting would pass `maximumNesting`.
    private mutating func elements(closing: UInt8, _ element: (inout JSONReader) -> Bool) -> Bool {
        guard depth < JSONValue.maximumNesting else { return false }
        depth += 1
        defer { depth -= 1 }
        offset += 1
        while true {
            skipWhitespace()
            if current == closing {
                offset += 1
                return true
            }
            guard element(&self) else { return false }
            skipWhitespace()
            guard current == UInt8(ascii: ",") else {
                guard current == closing else { return false }
                offset += 1
                return true
            }
            offset += 1
        }
    }

    /// A string from its opening quote: escapes resolved, control characters and invalid
    /// UTF-8 refused.
    private mutating func string() -> String? {
        offset += 1
        let start = offset
        // Fast path: no escapes, all of it copied at once.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
                offset += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            offset += 1
        }
        var scalars: [UInt8] = Array(bytes[start..<offset])
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = current else { return nil }
                offset += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    UTF8.encode(scalar) { scalars.append($0) }
                default: return nil
                }
            default:
                guard byte >= 0x20 else { return nil }
                scalars.append(byte)
            }
        }
        return nil
    }

    /// The scalar of a `\u` escape whose `u` was read; a surrogate pair counts as one.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let first = hexQuad() else { return nil }
        if (0xD800...0xDBFF).contains(first) {
            guard bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else { return nil }
            offset += 2
            guard let second = hexQuad(), (0xDC00...0xDFFF).contains(second) else { return nil }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
        }
        return Unicode.Scalar(first)
    }

    private mutating func hexQuad() -> UInt32? {
        guard bytes.count - offset >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            offset += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, as a finite `Double`.
    private mutating func number() -> JSONValue? {
        let start = offset
        if current == UInt8(ascii: "-") { offset += 1 }
        guard let first = current, isDigit(first) else { return nil }
        offset += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if current == UInt8(ascii: ".") {
            offset += 1
            guard let digit = current, isDigit(digit) else { return nil }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            guard let digit = current, isDigit(digit) else { return nil }
            skipDigits()
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else { return nil }
        return .number(number)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { offset += 1 }
    }
}
