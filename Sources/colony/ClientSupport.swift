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

/// A value encoded as pretty JSON text.
func prettyJSON(_ value: some Encodable) -> String {
    (try? String(decoding: jsonEncoder().encode(value), as: UTF8.self)) ?? "{}"
}
