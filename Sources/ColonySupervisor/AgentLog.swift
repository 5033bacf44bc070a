import Foundation
import Synchronization

/// One replica's log file, bounded on disk: when a write would take it past `maximumBytes`, the
/// file becomes `NAME-N.log.1` (replacing the one before) and a fresh file starts. A replica's
/// output therefore takes at most twice `maximumBytes`, however much an agent prints, and the
/// newest output is always in the file `colony agent logs` reads. It lives as long as its
/// replica, across restarts: a process that exited may still be draining its pipe while the next
/// one starts, and both write here, one write at a time.
final class AgentLog: Sendable {
    let file: URL
    let maximumBytes: Int64
    private let state: Mutex<State>

    private struct State {
        var descriptor: Int32 = -1
        var size: Int64 = 0
        /// Whether a failure to write has been said on the console (once per failure run).
        var complained = false
    }

    init(file: URL, maximumBytes: Int64) {
        self.file = file
        self.maximumBytes = max(maximumBytes, AgentSpec.smallestLogMaximum)
        state = Mutex(State())
    }

    deinit {
        state.withLock { if $0.descriptor >= 0 { close($0.descriptor) } }
    }

    /// Appends `bytes`, starting a new file first when they would not fit in this one. Output
    /// that cannot be written (a full disk) is dropped, never waited for, and said once on the
    /// supervisor's standard error.
    func append(_ bytes: UnsafeRawBufferPointer) {
        state.withLock { state in
            var rest = bytes
            while !rest.isEmpty {
                if state.descriptor < 0 || state.size >= maximumBytes { open(&state, rotating: state.descriptor >= 0) }
                guard state.descriptor >= 0 else { return }
                let room = Int(max(0, maximumBytes - state.size))
                var fitting = min(rest.count, room)
                if rest.count > room, state.size > 0 {
                    // What does not fit goes to a new file, from the start of a line where one
                    // starts within the room.
                    guard let lastNewline = rest.prefix(room).lastIndex(of: UInt8(ascii: "\n")) else {
                        open(&state, rotating: true)
                        continue
                    }
                    fitting = lastNewline - rest.startIndex + 1
                }
                let piece = UnsafeRawBufferPointer(rebasing: rest.prefix(fitting))
                let written = write(state.descriptor, piece.baseAddress, piece.count)
                guard written > 0 else {
                    if written < 0, errno == EINTR { continue }
                    complain(&state, "cannot write: \(String(cString: strerror(errno))); output dropped")
                    return
                }
                state.complained = false
                state.size += Int64(written)
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(written))
            }
        }
    }

    func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Opens the log for appending, after moving the full one aside when `rotating`.
    private func open(_ state: inout State, rotating: Bool) {
        if state.descriptor >= 0 {
            close(state.descriptor)
            state.descriptor = -1
        }
        if rotating {
            let previous = file.path + ".1"
            guard rename(file.path, previous) == 0 || errno == ENOENT else {
                complain(&state, "cannot move the full log aside: \(String(cString: strerror(errno)))")
                return
            }
        }
        let descriptor = Glibc.open(file.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            complain(&state, "cannot open: \(String(cString: strerror(errno)))")
            return
        }
        var info = stat()
        state.descriptor = descriptor
        state.size = fstat(descriptor, &info) == 0 ? Int64(info.st_size) : 0
    }

    private func complain(_ state: inout State, _ problem: String) {
        guard !state.complained else { return }
        state.complained = true
        FileHandle.standardError.write(Data("colony: agent log \(file.path): \(problem)\n".utf8))
    }
}
