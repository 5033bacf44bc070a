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
            guard bytes.count <= WireError.maximumErrorBodySize,
                  let first = bytes.firstIndex(where: { !" \t\r\n".utf8.contains($0) }), bytes[first] == UInt8(ascii: "{"),
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

    /// Whether `bytes` contain `"error"`: a scan without allocation, so results (which do not)
    /// are not parsed on the broker's hot path.
    static func mentionsError(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let needle = Array("\"error\"".utf8)
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
