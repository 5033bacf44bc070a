import ColonyYAML
import Foundation

/// The keys allowed on a colony's bus (`.colony/keys/access.yaml`, managed by `colony keys`):
/// each with its name, role and limits. Names and keys are unique; a key not listed is refused.
public struct AccessList: Sendable, Hashable {
    public private(set) var entries: [AccessEntry]

    public init(entries: [AccessEntry] = []) {
        self.entries = entries
    }

    /// The entry of `publicKey`, revoked or not.
    public func entry(forKey publicKey: String) -> AccessEntry? {
        entries.first { $0.publicKey == publicKey }
    }

    /// The entry named `name`.
    public func entry(named name: String) -> AccessEntry? {
        entries.first { $0.name == name }
    }

    /// Adds `entry`, or replaces the entry of the same name.
    public mutating func add(_ entry: AccessEntry) throws(AccessError) {
        if let other = entries.first(where: { $0.publicKey == entry.publicKey && $0.name != entry.name }) {
            throw .duplicateKey(name: entry.name, holder: other.name)
        }
        if let index = entries.firstIndex(where: { $0.name == entry.name }) {
            entries[index] = entry
        } else {
            entries.append(entry)
        }
    }

    /// Marks `name`'s key revoked (kept, so the refusal can say whose key it was).
    public mutating func revoke(_ name: String) throws(AccessError) {
        guard let index = entries.firstIndex(where: { $0.name == name }) else {
            throw .unknownName(name, known: entries.map(\.name))
        }
        entries[index].revoked = true
    }

    // MARK: The file

    /// Reads an access file; problems name the file and line.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> AccessList {
        let root = try YAMLMapping.parse(text, file: file)
        try root.rejectUnknownKeys(["keys"], in: "the access file")
        var list = AccessList()
        for mapping in try root.mappings("keys") ?? [] {
            try mapping.rejectUnknownKeys(["name", "key", "role", "offers", "requests", "publishes", "revoked"], in: "a key entry")
            guard let name = try mapping.string("name"), !name.isEmpty else {
                throw ConfigError(file: file, line: mapping.line, message: "a key entry needs a 'name'")
            }
            guard let key = try mapping.string("key"), Self.looksLikeKey(key) else {
                throw ConfigError(file: file, line: mapping.line(of: "key") ?? mapping.line,
                                  message: "key '\(name)' needs a 'key': a CURVE public key, 40 characters of Z85")
            }
            guard let role = try mapping.choice("role", from: Role.allCases.map(\.rawValue)).flatMap(Role.init(rawValue:)) else {
                throw ConfigError(file: file, line: mapping.line(of: "role") ?? mapping.line,
                                  message: "key '\(name)' needs a 'role' (\(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let revoked = try mapping.string("revoked").map { $0 == "true" } ?? false
            let entry = AccessEntry(name: name, publicKey: key, role: role, offers: try mapping.strings("offers") ?? [],
                                    requests: try mapping.strings("requests") ?? [], publishes: try mapping.strings("publishes") ?? [],
                                    revoked: revoked)
            guard list.entry(named: name) == nil else {
                throw ConfigError(file: file, line: mapping.line(of: "name") ?? mapping.line, message: "key name '\(name)' is used twice")
            }
            do {
                try list.add(entry)
            } catch {
                throw ConfigError(file: file, line: mapping.line(of: "key") ?? mapping.line, message: "\(error)")
            }
        }
        return list
    }

    /// The file's text: one entry per key, every string quoted.
    public var yaml: String {
        var lines = ["# Who may use this colony's bus: CURVE public keys and their roles. Managed by `colony keys`.", "keys:"]
        for entry in entries {
            lines.append("  - name: \(Self.quoted(entry.name))")
            lines.append("    key: \(Self.quoted(entry.publicKey))")
            lines.append("    role: \(entry.role.rawValue)")
            for (field, values) in [("offers", entry.offers), ("requests", entry.requests), ("publishes", entry.publishes)] where !values.isEmpty {
                lines.append("    \(field): [\(values.map(Self.quoted).joined(separator: ", "))]")
            }
            if entry.revoked { lines.append("    revoked: true") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// 40 characters of the Z85 alphabet (the binding checks the decoding itself).
    static func looksLikeKey(_ text: String) -> Bool {
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
        return text.count == 40 && text.allSatisfy(alphabet.contains)
    }
}

/// Why a change to the access list was refused.
public enum AccessError: Error, Sendable, Hashable, CustomStringConvertible {
    case duplicateKey(name: String, holder: String)
    case unknownName(String, known: [String])
    case keyFile(String)

    public var description: String {
        switch self {
        case .duplicateKey(let name, let holder): return "the key of '\(name)' is already '\(holder)''s"
        case .unknownName(let name, let known):
            return "no key named '\(name)'" + (known.isEmpty ? "" : " (known: \(known.joined(separator: ", ")))")
        case .keyFile(let message): return message
        }
    }
}
