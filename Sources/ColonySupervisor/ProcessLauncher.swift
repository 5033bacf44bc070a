import ColonyCore
import CProcessSpawn
import Foundation

/// Why a process could not be started.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// A started process.
struct LaunchedProcess {
    let pid: Int32
    let echo: OutputEcho?
}

/// Turns an `AgentSpec` into a running process through `colony_spawn`.
enum ProcessLauncher {
    static func launch(_ spec: AgentSpec, replica: Int, environment extra: [String: String], logFile: URL) -> Result<LaunchedProcess, LaunchError> {
        let echo = spec.output == .echo
        let logFD = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else {
            return .failure(LaunchError(description: "cannot open log \(logFile.path): \(String(cString: strerror(errno)))"))
        }
        defer { close(logFD) }
        let marker = "--- \(Date().timestamp) starting: \(spec.command.joined(separator: " "))\n"
        _ = marker.withCString { write(logFD, $0, strlen($0)) }
        var outputFD = logFD
        var pipeFDs: [Int32] = [-1, -1]
        if echo {
            guard colony_pipe_cloexec(&pipeFDs) == 0 else {
                return .failure(LaunchError(description: "cannot create output pipe: \(String(cString: strerror(errno)))"))
            }
            outputFD = pipeFDs[1]
        }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { _, new in new }
        environment.merge(spec.environment) { _, new in new }
        environment["COLONY_AGENT"] = spec.name
        environment["COLONY_REPLICA"] = "\(replica)"
        let pid = withCStrings(spec.command) { argv in
            withCStrings(environment.map { "\($0.key)=\($0.value)" }) { envp in
                colony_spawn(spec.command[0], argv, envp, spec.workingDirectory, outputFD, outputFD)
            }
        }
        if echo { close(pipeFDs[1]) }
        guard pid > 0 else {
            if echo { close(pipeFDs[0]) }
            return .failure(LaunchError(description: "\(spec.command[0]): \(String(cString: strerror(-pid)))"))
        }
        let output = echo ? OutputEcho(readFD: pipeFDs[0], logFile: logFile, prefix: "\(spec.name)[\(replica)] | ") : nil
        return .success(LaunchedProcess(pid: pid, echo: output))
    }

    /// Calls `body` with a NULL-terminated C array of `strings`.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// Copies an agent's output from a pipe into its log file and, line by line with a name
/// prefix, onto the supervisor's standard output.
// Safety of @unchecked Sendable: `pending` is touched only inside the readability handler,
// which Foundation calls serially for one FileHandle; the handles are immutable.
final class OutputEcho: @unchecked Sendable {
    private let reader: FileHandle
    private let log: FileHandle?
    private let prefix: String
    private var pending = Data()

    init(readFD: Int32, logFile: URL, prefix: String) {
        reader = FileHandle(fileDescriptor: readFD, closeOnDealloc: true)
        do {
            let file = try FileHandle(forWritingTo: logFile)
            try file.seekToEnd()
            log = file
        } catch {
            // The launcher created the file just before; if it cannot be written now, say so once
            // on the console, where the output still goes.
            FileHandle.standardError.write(Data("\(prefix) cannot write its log \(logFile.path): \(error)\n".utf8))
            log = nil
        }
        self.prefix = prefix
        reader.readabilityHandler = { [self] handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            log?.write(data)
            pending.append(data)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex...newline]
                FileHandle.standardOutput.write(Data(prefix.utf8) + line)
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
    }

    /// Stops echoing (the process has exited).
    func finish() {
        reader.readabilityHandler = nil
    }
}
