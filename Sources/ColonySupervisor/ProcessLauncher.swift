import ColonyCore
import CProcessSpawn
import Foundation

/// Why a process could not be started.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Turns an `AgentSpec` into a running process through `colony_spawn`.
enum ProcessLauncher {
    /// Starts one replica of `spec`, its standard output and error on a pipe that `log` (and
    /// the console, with `output: echo`) receives; its pid.
    static func launch(_ spec: AgentSpec, replica: Int, environment extra: [String: String], log: AgentLog) -> Result<Int32, LaunchError> {
        var pipeFDs: [Int32] = [-1, -1]
        guard colony_pipe_cloexec(&pipeFDs) == 0 else {
            return .failure(LaunchError(description: "cannot create output pipe: \(String(cString: strerror(errno)))"))
        }
        log.append("--- \(Date().timestamp) starting: \(spec.command.joined(separator: " "))\n")
        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { _, new in new }
        environment.merge(spec.environment) { _, new in new }
        environment["COLONY_AGENT"] = spec.name
        environment["COLONY_REPLICA"] = "\(replica)"
        let pid = withCStrings(spec.command) { argv in
            withCStrings(environment.map { "\($0.key)=\($0.value)" }) { envp in
                colony_spawn(spec.command[0], argv, envp, spec.workingDirectory, pipeFDs[1], pipeFDs[1])
            }
        }
        close(pipeFDs[1])
        guard pid > 0 else {
            close(pipeFDs[0])
            return .failure(LaunchError(description: "\(spec.command[0]): \(String(cString: strerror(-pid)))"))
        }
        AgentOutput.start(readFD: pipeFDs[0], log: log, echoPrefix: spec.output == .echo ? "\(spec.name)[\(replica)] | " : nil)
        return .success(pid)
    }

    /// Calls `body` with a NULL-terminated C array of `strings`.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// Copies an agent's output from its pipe into its log and, with `output: echo`, line by line
/// with a name prefix onto the supervisor's standard output. It reads until every holder of the
/// pipe's other end has closed it (the agent, and any process it started that kept it), so an
/// agent's last words before it died reach the log; then it closes its end. Echoed lines go
/// through a `LineBuffer` (a line held up to 64 KiB, then echoed in pieces). Each copier has a serial
/// queue of its own (on Dispatch's shared threads) and yields it after `chunksPerTurn` chunks
/// of `chunkSize`: a console that stops reading (`colony up | less`, paused) holds up only the
/// agents echoed to it, never the others' logs.
// Safety of @unchecked Sendable: `lines` and `buffer` are touched only by the read source's
// handlers and turns, which run one at a time on the copier's serial `queue`; the other
// properties are immutable.
final class AgentOutput: @unchecked Sendable {
    private let source: any DispatchSourceRead
    private let descriptor: Int32
    private let log: AgentLog
    private let echoPrefix: String?
    private var lines = LineBuffer()
    private var buffer = [UInt8](repeating: 0, count: chunkSize)
    static let chunkSize = 64 * 1024
    static let chunksPerTurn = 16
    private let queue = DispatchQueue(label: "colony-agent-output", target: .global())

    /// Copies from `readFD` until the pipe ends, then closes it. The read source holds this copier
    /// (through its handlers) until it is cancelled at the pipe's end.
    static func start(readFD: Int32, log: AgentLog, echoPrefix: String?) {
        let output = AgentOutput(readFD: readFD, log: log, echoPrefix: echoPrefix)
        output.source.setEventHandler { output.readAvailable() }
        output.source.setCancelHandler { output.finish() }
        output.source.resume()
    }

    private init(readFD: Int32, log: AgentLog, echoPrefix: String?) {
        descriptor = readFD
        _ = fcntl(readFD, F_SETFL, fcntl(readFD, F_GETFL) | O_NONBLOCK)
        source = DispatchSource.makeReadSource(fileDescriptor: readFD, queue: queue)
        self.log = log
        self.echoPrefix = echoPrefix
    }

    /// Reads until the pipe has nothing more for now, at most `chunksPerTurn` chunks before it
    /// lets Dispatch's threads serve other agents (and comes back); at the pipe's end, or on a
    /// read error, cancels the source. Reading until then matters: the source may be told of
    /// readiness only when it changes, and the end of a pipe written and closed before the
    /// source started is seen only by reading past what was written.
    private func readAvailable() {
        // A turn queued before the pipe ended must not read the descriptor the end closed (its
        // number may name another file by now).
        guard !source.isCancelled else { return }
        for _ in 0..<Self.chunksPerTurn {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0, errno == EAGAIN { return }
            guard count > 0 else {
                source.cancel()
                return
            }
            copy(count)
        }
        queue.async { self.readAvailable() }
    }

    /// Hands the buffer's first `count` bytes to the log and, with `output: echo`, the console.
    private func copy(_ count: Int) {
        buffer.withUnsafeBytes { log.append(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        guard echoPrefix != nil else { return }
        lines.add(buffer[..<count], echo)
    }

    /// Echoes what is left and closes the pipe.
    private func finish() {
        lines.flush(echo)
        close(descriptor)
    }

    private func echo(_ line: ArraySlice<UInt8>) {
        guard let echoPrefix else { return }
        FileHandle.standardOutput.write(Data(echoPrefix.utf8) + line + Data("\n".utf8))
    }
}
