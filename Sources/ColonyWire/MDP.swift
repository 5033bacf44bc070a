/// Majordomo Protocol constants: ZeroMQ RFC 7 (MDP/0.1) and RFC 18 (MDP/0.2).
public enum MDP {
    public static let client01: [UInt8] = Array("MDPC01".utf8)
    public static let worker01: [UInt8] = Array("MDPW01".utf8)
    public static let client02: [UInt8] = Array("MDPC02".utf8)
    public static let worker02: [UInt8] = Array("MDPW02".utf8)

    /// Default heartbeat interval (RFC 7 suggests 2.5 s).
    public static let defaultHeartbeatInterval: Duration = .milliseconds(2500)
    /// Default number of missed heartbeats before a peer counts as dead.
    public static let defaultLiveness = 3

    /// The MDP/0.2 client command codes.
    public enum ClientCommand: UInt8, Sendable {
        case request = 0x01
        case partial = 0x02
        case final = 0x03

        /// The code in `dialect`: RFC 18's, or the worker-side numbering some published
        /// 0.2 clients use (majortomo: REQUEST 0x02, PARTIAL 0x03, FINAL 0x04).
        public func byte(in dialect: Dialect) -> UInt8 {
            dialect.workerNumberedClient ? rawValue + 1 : rawValue
        }
    }
}

/// The MDP version a peer speaks.
public enum MDPVersion: Sendable, Hashable {
    case v01, v02
}

/// What an MDP protocol frame ("MDPC01", "MDPW02"…) says: who speaks (a client or a worker)
/// and which version. Read byte by byte from the frame where it lies, since the broker reads
/// one for every message (comparing it with each of the four names in turn cost more).
public struct ProtocolFrame: Sendable, Hashable {
    public var isWorker: Bool
    public var version: MDPVersion

    public init(isWorker: Bool, version: MDPVersion) {
        self.isWorker = isWorker
        self.version = version
    }

    /// The frame's text ("MDPW01"…), a constant to send without making an array.
    public var text: StaticString {
        switch (isWorker, version) {
        case (false, .v01): "MDPC01"
        case (false, .v02): "MDPC02"
        case (true, .v01): "MDPW01"
        case (true, .v02): "MDPW02"
        }
    }

    /// The frame `bytes` names, or nil when they are not one of the four MDP protocol frames.
    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        // "MDP", then C or W, then "0", then 1 or 2.
        guard bytes.count == 6, bytes[0] == 0x4D, bytes[1] == 0x44, bytes[2] == 0x50, bytes[4] == 0x30 else { return nil }
        switch bytes[3] {
        case 0x43: isWorker = false
        case 0x57: isWorker = true
        default: return nil
        }
        switch bytes[5] {
        case 0x31: version = .v01
        case 0x32: version = .v02
        default: return nil
        }
    }
}

/// How one peer frames its messages: the protocol version, and whether it puts an empty
/// delimiter frame before the protocol header. RFC 7 always has the delimiter; RFC 18 has
/// none, but several published 0.2 implementations keep it. The broker answers every peer
/// in the dialect it spoke.
public struct Dialect: Sendable, Hashable, CustomStringConvertible {
    public var version: MDPVersion
    public var delimited: Bool
    /// An MDP/0.2 client that numbers its commands like a worker (REQUEST 0x02, PARTIAL
    /// 0x03, FINAL 0x04), as the majortomo library (PyPI) does; answered the same way.
    public var workerNumberedClient: Bool

    public init(version: MDPVersion, delimited: Bool, workerNumberedClient: Bool = false) {
        self.version = version
        self.delimited = delimited
        self.workerNumberedClient = workerNumberedClient
    }

    /// MDP/0.1 as RFC 7 writes it.
    public static let rfc7 = Dialect(version: .v01, delimited: true)
    /// MDP/0.2 as RFC 18 writes it.
    public static let rfc18 = Dialect(version: .v02, delimited: false)

    public var description: String {
        switch (version, delimited, workerNumberedClient) {
        case (.v01, true, _): return "MDP/0.1"
        case (.v01, false, _): return "MDP/0.1 (no delimiter)"
        case (.v02, false, false): return "MDP/0.2"
        case (.v02, true, false): return "MDP/0.2 (with delimiter)"
        case (.v02, _, true): return "MDP/0.2 (majortomo numbering)"
        }
    }
}

/// A worker command, independent of the protocol version that carried it.
public enum WorkerCommand: Sendable, Hashable {
    case ready, request, partial, final, heartbeat, disconnect

    /// Decodes a command byte of `version`.
    public init?(byte: UInt8, version: MDPVersion) {
        switch (version, byte) {
        case (_, 0x01): self = .ready
        case (_, 0x02): self = .request
        case (.v01, 0x03): self = .final          // REPLY
        case (.v01, 0x04): self = .heartbeat
        case (.v01, 0x05): self = .disconnect
        case (.v02, 0x03): self = .partial
        case (.v02, 0x04): self = .final
        case (.v02, 0x05): self = .heartbeat
        case (.v02, 0x06): self = .disconnect
        default: return nil
        }
    }

    /// The command byte in `version`, or nil where the version lacks the command
    /// (MDP/0.1 has no PARTIAL).
    public func byte(in version: MDPVersion) -> UInt8? {
        switch (self, version) {
        case (.ready, _): return 0x01
        case (.request, _): return 0x02
        case (.final, .v01): return 0x03
        case (.heartbeat, .v01): return 0x04
        case (.disconnect, .v01): return 0x05
        case (.partial, .v01): return nil
        case (.partial, .v02): return 0x03
        case (.final, .v02): return 0x04
        case (.heartbeat, .v02): return 0x05
        case (.disconnect, .v02): return 0x06
        }
    }
}
