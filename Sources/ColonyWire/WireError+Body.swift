import ColonyCore
import Foundation

extension WireError {
    /// The most bytes of a reply body read when looking for an error in it.
    public static let maximumErrorBodySize = 65_536

    /// The error a plain MDP worker reports in its reply body, if it reports one: a JSON
    /// object with a top-level `error` object carrying a string `code` (and usually a
    /// `message`), the same shape the broker sends to plain clients
    /// (`{"error":{"code":"division_by_zero","message":"…"}}`). Nil for any other body, for
    /// bodies over `maximumErrorBodySize`, and for codes that are empty or over 128 bytes.
    public init?(errorBody body: some WireFrame) {
        let found: WireError? = body.withUnsafeBytes { bytes in
            // Most bodies are results, not errors: the first byte rules them out without a scan.
            guard let lead = bytes.first, lead == UInt8(ascii: "{") || WireError.isJSONSpace(lead),
                  bytes.count <= WireError.maximumErrorBodySize,
                  let first = bytes.firstIndex(where: { !WireError.isJSONSpace($0) }), bytes[first] == UInt8(ascii: "{"),
                  WireError.mentionsError(bytes),
                  let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let error = object["error"] as? [String: Any],
                  let code = error["code"] as? String, !code.isEmpty, code.utf8.count <= 128
            else { return nil }
            return WireError(ErrorCode(code), error["message"] as? String ?? code)
        }
        guard let found else { return nil }
        self = found
    }

    private static let errorKey = Array("\"error\"".utf8)

    /// JSON's white space: space, tab, line feed, carriage return.
    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Whether `bytes` contain `"error"`: a scan without allocation, so results (which do not)
    /// are not parsed on the broker's hot path.
    static func mentionsError(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let needle = errorKey
        guard bytes.count >= needle.count else { return false }
        var index = 0
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0] {
                var matched = 1
                while matched < needle.count, bytes[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return true }
            }
            index += 1
        }
        return false
    }
}
