import ArgumentParser
import ColonyAgent
import ColonyWire
import Foundation

/// The exit code that tells a script why a request failed.
func exitCode(for error: RequestError) -> ExitCode {
    switch error {
    case .noAgent: return ExitCode(ExitStatus.noAgent)
    case .timedOut: return ExitCode(ExitStatus.timeout)
    case .brokerUnreachable: return ExitCode(ExitStatus.unreachable)
    case .invalidInput: return ExitCode(ExitStatus.usage)
    case .failed, .invalidReply, .cancelled: return ExitCode(ExitStatus.failed)
    }
}

/// Reports `error` on standard error and returns the matching exit code.
func report(_ error: RequestError) -> ExitCode {
    Console.error("error: \(error)")
    return exitCode(for: error)
}

/// Parses a JSON argument, failing with a message that names the argument.
func validatedJSON(_ text: String, what: String) throws -> [UInt8] {
    let bytes = Array(text.utf8)
    do {
        _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    } catch {
        throw ValidationError("\(what) is not valid JSON: \(text)")
    }
    return bytes
}

/// Milliseconds since the epoch as a local-free ISO 8601 string.
func formatTimestamp(_ milliseconds: UInt64?) -> String {
    guard let milliseconds else { return "-" }
    let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
}

/// A value encoded as pretty JSON text.
func prettyJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
}
