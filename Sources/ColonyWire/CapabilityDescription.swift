import ColonyCore
import Foundation

/// What a capability does and what input it takes, as its agent announces it (READY tag 27),
/// so people and tools can call it without reading its code.
public struct CapabilityDescription: Codable, Sendable, Hashable {
    /// One line saying what the capability does.
    public var summary: String?
    /// A JSON Schema of the request body.
    public var input: JSONValue?

    public init(summary: String? = nil, input: JSONValue? = nil) {
        self.summary = summary
        self.input = input
    }

    /// Whether there is anything to announce.
    public var isEmpty: Bool { summary == nil && input == nil }
}

/// The descriptions a READY carries: capability name → description, as one JSON object.
public enum CapabilityDescriptions {
    /// The most bytes of descriptions one READY may carry; the broker ignores larger ones.
    public static let maximumBytes = 65_536
    /// The longest summary kept; longer ones are cut.
    public static let maximumSummaryBytes = 512

    /// The header text for `descriptions`, or nil when there is none or it exceeds `maximumBytes`.
    public static func encoded(_ descriptions: [String: CapabilityDescription]) -> String? {
        let described = descriptions.filter { !$0.value.isEmpty }
        guard !described.isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(described), data.count <= maximumBytes else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The descriptions of `capabilities` in a READY's header text, summaries cut to their bound.
    public static func decoded(_ text: String, for capabilities: [String]) throws(DescriptionError) -> [String: CapabilityDescription] {
        guard text.utf8.count <= maximumBytes else { throw .tooLarge(bytes: text.utf8.count) }
        let all: [String: CapabilityDescription]
        do {
            all = try JSONDecoder().decode([String: CapabilityDescription].self, from: Data(text.utf8))
        } catch {
            throw .malformed("\(error)")
        }
        var kept: [String: CapabilityDescription] = [:]
        for name in capabilities {
            guard var description = all[name] else { continue }
            description.summary = description.summary.map { MessageLimits.truncated($0, toBytes: maximumSummaryBytes) }
            kept[name] = description
        }
        return kept
    }

    /// Why a READY's descriptions were ignored.
    public enum DescriptionError: Error, Sendable, CustomStringConvertible {
        case tooLarge(bytes: Int)
        case malformed(String)

        public var description: String {
            switch self {
            case .tooLarge(let bytes): "descriptions of \(bytes) bytes exceed \(CapabilityDescriptions.maximumBytes)"
            case .malformed(let why): "descriptions are not a JSON object of {summary, input}: \(why)"
            }
        }
    }
}
