/// A name for one kind of thing (a run, a step, an agent instance, a group): a string on the
/// wire and in the store, a distinct type in code, so a run id cannot be passed where a step id
/// is expected.
public struct Identifier<Kind>: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The kinds of identifiers.
public enum IdentifierKind {
    public enum Run {}
    public enum Step {}
    public enum Instance {}
    public enum Group {}
}

/// A workflow run's id (also the correlation id its messages carry).
public typealias RunID = Identifier<IdentifierKind.Run>
/// A step's id within its workflow.
public typealias StepID = Identifier<IdentifierKind.Step>
/// An agent instance's id on the bus (NAME-HOST-PID unless set).
public typealias InstanceID = Identifier<IdentifierKind.Instance>
/// A coordination group's name (a capability or a named group).
public typealias GroupName = Identifier<IdentifierKind.Group>
