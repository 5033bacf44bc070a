import ColonyCore
import ColonyWire
import Foundation

/// An append-only file with one JSON line per handler start, end, skip or replay: who ran
/// what, for which run and idempotency key, and when. Several agent processes may share one
/// file: each line is a single `write` to a file opened with O_APPEND, so lines never mix.
/// Set `COLONY_EXECUTION_JOURNAL` (or `AgentOptions.executionJournal`) to turn it on.
public final class ExecutionJournal: Sendable {
    /// The open file; immutable after init, and `write(2)` on it is safe from any thread.
    private let descriptor: Int32
    public let path: String

    /// What happened to a handler.
    public enum Event: String, Sendable {
        /// A handler started, and how it ended: `discarded` is a success that came after its run
        /// failed (the caller is told the run failed instead).
        case started, succeeded, failed, discarded
        /// The gate refused to start a handler; a repeated delivery was answered from the cache.
        case skipped, replayed
        /// The agent learned that a run ended (detail: its status).
        case learned
        /// The broker sent an attempt again after the agent that had it was lost, and this agent
        /// runs it (detail: which instance was lost); the attempt may have run twice.
        case reexecuted
    }

    public init?(path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Appends one line.
    public func record(_ event: Event, agent: String, handler: String, metadata: RequestMetadata, detail: String? = nil) {
        var line = "{\"t\":\(WallClock.nowMilliseconds()),\"event\":\"\(event.rawValue)\",\"pid\":\(getpid())"
        line += ",\"agent\":\(JSONText.quote(agent)),\"handler\":\(JSONText.quote(handler))"
        if let run = metadata.correlationID { line += ",\"run\":\(JSONText.quote(run))" }
        if let step = metadata.step { line += ",\"step\":\(JSONText.quote(step))" }
        if let key = metadata.idempotencyKey { line += ",\"key\":\(JSONText.quote(key))" }
        if let detail { line += ",\"detail\":\(JSONText.quote(detail))" }
        line += "}\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
}
