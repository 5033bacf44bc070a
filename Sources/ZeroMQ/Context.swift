import CZeroMQ

/// A ZeroMQ context: the owner of libzmq's I/O threads and the factory of sockets.
///
/// One per process is usual (`Context.shared`). Sockets must be closed before the
/// context terminates; every socket this binding makes has LINGER 0, so termination never hangs.
// Safety: libzmq documents contexts as thread safe; the handle is immutable after init.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// The process-wide context, created on first use and never terminated.
    public static let shared = Context()

    /// Creates a context with `ioThreads` libzmq I/O threads.
    public init(ioThreads: Int32 = 1) {
        guard let handle = zmq_ctx_new() else {
            fatalError("zmq_ctx_new failed: \(ZMQError.current("zmq_ctx_new"))")
        }
        zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads)
        zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, 65_536)
        self.handle = handle
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// The libzmq version as "major.minor.patch".
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
