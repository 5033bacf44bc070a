import ColonyCore
import Foundation
import Logging

/// How log lines look: `text` for people, `json` (one object a line) for machines.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// A swift-log handler writing one event per line to standard error, with metadata.
public struct ColonyLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat

    public init(label: String, format: LogFormat, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: Logging.LogEvent) {
        LogOutput.write(format(event))
    }

    /// The line `event` becomes, without its newline.
    func format(_ event: Logging.LogEvent) -> String {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        switch format {
        case .text: return textLine(event, merged)
        case .json: return jsonLine(event, merged)
        }
    }

    private func textLine(_ event: Logging.LogEvent, _ metadata: Logger.Metadata) -> String {
        var line = "\(Timestamp.iso8601()) \(event.level.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) [\(label)] \(event.message)"
        for key in metadata.keys.sorted() {
            let value = "\(metadata[key]!)"
            let quoted = value.contains(" ") || value.isEmpty ? "\"\(value)\"" : value
            line += " \(key)=\(quoted)"
        }
        return line
    }

    private func jsonLine(_ event: Logging.LogEvent, _ metadata: Logger.Metadata) -> String {
        var object: [String: String] = [:]
        for (key, value) in metadata { object[key] = "\(value)" }
        object["ts"] = Timestamp.iso8601()
        object["level"] = event.level.rawValue
        object["label"] = label
        object["message"] = "\(event.message)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(object) else { return "\(event.message)" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Serialises whole lines onto standard error so concurrent events never interleave.
enum LogOutput {
    private static let lock = NSLock()

    static func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// Sets up swift-log for a Colony process once, at start.
public enum ColonyLogging {
    /// Sets up logging; later calls (a command whose helpers each make sure logging is set up)
    /// keep the first setup instead of trapping as swift-log's second bootstrap would.
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        guard bootstrapped.claim() else { return }
        LoggingSystem.bootstrap { label in
            ColonyLogHandler(label: label, format: format, level: level)
        }
    }

    private static let bootstrapped = Once()
}

/// True for the first caller of `claim()` only.
// @unchecked Sendable: `claimed` is read and written only while `lock` is held.
private final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !claimed else { return false }
        claimed = true
        return true
    }
}
