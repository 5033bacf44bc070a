import ColonyCore

/// What a message read from the broker's ROUTER socket is, located without copying.
///
/// Frame 0 is always the peer's routing id (added by ROUTER). Indices point into the
/// received frames, so the caller can forward bodies as they are.
public enum Envelope: Sendable, Equatable {
    /// A client REQUEST: the service name is at `service`, the body follows it.
    case clientRequest(dialect: Dialect, service: Int)
    /// A worker command; its arguments (if any) start at `arguments`.
    case worker(dialect: Dialect, command: WorkerCommand, arguments: Int)
    /// Not an MDP message; dropped and counted by the broker.
    case malformed(MalformedReason)

    /// Locates the parts of `frames` (routing id first). Inlinable so that callers get a
    /// version specialized for their frame type: it runs for every message the broker reads.
    @inlinable
    public static func parse<Frames: RandomAccessCollection>(_ frames: Frames) -> Envelope
    where Frames.Element: WireFrame, Frames.Index == Int {
        let start = frames.startIndex
        guard frames.count >= 3 else { return .malformed(.tooFewFrames) }
        var header = start + 1
        let delimited = frames[header].count == 0
        if delimited { header += 1 }
        guard header < frames.endIndex else { return .malformed(.tooFewFrames) }
        guard let protocolFrame = frames[header].withUnsafeBytes({ ProtocolFrame($0) }) else { return .malformed(.unknownProtocol) }
        let version = protocolFrame.version
        if !protocolFrame.isWorker, version == .v01 {
            guard header + 1 < frames.endIndex else { return .malformed(.tooFewFrames) }
            return .clientRequest(dialect: Dialect(version: .v01, delimited: delimited), service: header + 1)
        }
        if !protocolFrame.isWorker {
            guard header + 2 < frames.endIndex else { return .malformed(.tooFewFrames) }
            // RFC 18's REQUEST is 0x01; 0x02 (a PARTIAL, which no client sends) is REQUEST in
            // the worker-side numbering of clients such as majortomo.
            switch frames[header + 1].onlyByte {
            case MDP.ClientCommand.request.rawValue:
                return .clientRequest(dialect: Dialect(version: .v02, delimited: delimited), service: header + 2)
            case MDP.ClientCommand.request.rawValue + 1:
                return .clientRequest(dialect: Dialect(version: .v02, delimited: delimited, workerNumberedClient: true), service: header + 2)
            default:
                return .malformed(.unexpectedCommand)
            }
        }
        guard header + 1 < frames.endIndex, let byte = frames[header + 1].onlyByte,
              let command = WorkerCommand(byte: byte, version: version)
        else { return .malformed(.unknownCommand) }
        return .worker(dialect: Dialect(version: version, delimited: delimited), command: command, arguments: header + 2)
    }
}

/// Why a message was not MDP.
public enum MalformedReason: String, Sendable, CaseIterable {
    case tooFewFrames = "too_few_frames"
    case unknownProtocol = "unknown_protocol"
    case unknownCommand = "unknown_command"
    case unexpectedCommand = "unexpected_command"
    case badArguments = "bad_arguments"
    case badHeader = "bad_header"
    /// More parts than a broker keeps of one message (1,024).
    case tooManyFrames = "too_many_frames"
}
