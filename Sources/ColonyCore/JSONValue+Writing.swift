/// JSON text written as UTF-8 bytes into one buffer, instead of joined from `String` pieces
/// (~900 instructions a character: a 1000-step definition's canonical source, which the registry
/// fingerprints whenever the scheduler starts a run of it, took ~90 million).
extension JSONValue {
    /// The value as JSON text (strings quoted), in UTF-8.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return out
    }

    /// Appends the value's JSON text to `out`: object keys sorted as `String`s compare, so
    /// equal values give equal text (fingerprints and stored columns depend on it).
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value): out.append(contentsOf: JSONText.number(value).utf8)
        case .string(let value): JSONText.appendQuoted(value, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(key, to: &out)
                out.append(UInt8(ascii: ":"))
                fields[key]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

extension JSONText {
    /// A number as JSON text: whole numbers below 10^15 without a fraction, others as `Double`
    /// prints them.
    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// Appends `string` as a JSON string literal. Only `"`, `\` and control characters are
    /// escaped; every other byte of its UTF-8 (multi-byte sequences are all ≥ 0x80) is copied.
    public static func appendQuoted(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let copied = string.utf8.withContiguousStorageIfAvailable { appendEscaping($0, to: &out) }
        if copied == nil { Array(string.utf8).withUnsafeBufferPointer { appendEscaping($0, to: &out) } }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaping(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var copiedUpTo = 0
        for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            out.append(contentsOf: bytes[copiedUpTo..<index])
            appendEscape(of: byte, to: &out)
            copiedUpTo = index + 1
        }
        out.append(contentsOf: bytes[copiedUpTo...])
    }

    private static func appendEscape(of byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
        default:
            // A control character below 0x20: \u00 then two lowercase hex digits.
            out.append(contentsOf: "u00".utf8)
            out.append(UInt8(ascii: "0") + (byte >> 4))
            let low = byte & 0xF
            out.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
        }
    }
}
