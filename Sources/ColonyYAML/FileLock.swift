import Foundation

/// Why a `FileLock` was not taken.
public enum FileLockError: Error, Sendable, CustomStringConvertible {
    /// Another open file holds the lock (only when not waiting for it).
    case held
    /// The file could not be opened or locked: the system's reason, naming the file.
    case failed(String)

    public var description: String {
        switch self {
        case .held: return "the lock is held by another process"
        case .failed(let reason): return reason
        }
    }
}

/// An exclusive `flock` on a file (created if missing), held while this lives. It is unlocked
/// before it is closed: a child process forked meanwhile by another thread (the supervisor, a
/// test starting processes) shares the open file until its exec closes it, and a close alone
/// would leave the lock held by that copy (seen on CI: an event journal reopened in that moment
/// was "in use by another broker").
public final class FileLock {
    /// The open file holding the lock.
    public let descriptor: Int32

    /// Takes the lock on `path`, `waiting` for another holder to let it go, or throwing `held`.
    public init(path: String, permissions: mode_t, waiting: Bool) throws(FileLockError) {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw .failed("cannot open \(path): \(String(cString: strerror(errno)))") }
        while flock(descriptor, waiting ? LOCK_EX : LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            guard error == EINTR else {
                close(descriptor)
                throw error == EWOULDBLOCK ? .held : .failed("cannot lock \(path): \(String(cString: strerror(error)))")
            }
        }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
