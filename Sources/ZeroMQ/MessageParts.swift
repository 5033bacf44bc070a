import CZeroMQ

/// Parts of a received message kept past the next receive, in one allocation: their content is
/// moved out of the `ReceivedMessage` (no copy), which is then free to be received into again.
///
/// Each part is a `zmq_msg_t` at a fixed address in this buffer, never moved while live.
public final class MessageParts: ManagedBuffer<MessageParts.Totals, zmq_msg_t> {
    /// How many parts, and their bytes.
    public struct Totals {
        var count: Int
        var bytes: Int
    }

    /// Takes the content of `received` (each part left empty) into a new `MessageParts`.
    public static func taking(_ received: Slice<ReceivedParts>) -> MessageParts {
        let parts = unsafeDowncast(create(minimumCapacity: received.count) { _ in Totals(count: 0, bytes: 0) }, to: MessageParts.self)
        parts.withUnsafeMutablePointers { totals, messages in
            for part in received {
                let message = messages + totals.pointee.count
                zmq_msg_init(message)
                zmq_msg_move(message, part.message)
                totals.pointee.count += 1
                totals.pointee.bytes += zmq_msg_size(message)
            }
        }
        return parts
    }

    deinit {
        withUnsafeMutablePointers { totals, messages in
            for index in 0..<totals.pointee.count { zmq_msg_close(messages + index) }
        }
    }

    /// The number of parts.
    public var count: Int { totals.count }

    /// The bytes of all parts together.
    public var byteCount: Int { totals.bytes }

    /// Whether there are no parts.
    public var isEmpty: Bool { totals.count == 0 }

    /// The totals, read through a pointer: `header`, a class property, would cost a run-time
    /// exclusivity check at every read (a request's count is read at every send).
    private var totals: Totals { withUnsafeMutablePointerToHeader { $0.pointee } }

    /// The bytes of part `index`; the pointer is valid only inside `body`.
    public func withBytes<R>(ofPart index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(index >= 0 && index < count, "part \(index) of \(count)")
        return try withUnsafeMutablePointerToElements { messages in
            try body(UnsafeRawBufferPointer(start: zmq_msg_data(messages + index), count: zmq_msg_size(messages + index)))
        }
    }

    /// Gives each part of up to `limit` bytes memory of its own (a copy). A received part may
    /// point into libzmq's shared receive buffer (8 KiB) and keep all of it alive; a part that
    /// waits long holds a copy instead and costs its own size. Larger parts already own theirs.
    public func detach(upTo limit: Int) {
        withUnsafeMutablePointerToElements { messages in
            for index in 0..<count {
                let message = messages + index
                let size = zmq_msg_size(message)
                guard size <= limit else { continue }
                withUnsafeTemporaryAllocation(of: zmq_msg_t.self, capacity: 1) { storage in
                    let copy = storage.baseAddress!
                    zmq_msg_init_size(copy, size)
                    if size > 0 { zmq_msg_data(copy).copyMemory(from: zmq_msg_data(message), byteCount: size) }
                    zmq_msg_close(message)
                    zmq_msg_init(message)
                    zmq_msg_move(message, copy)
                    zmq_msg_close(copy)
                }
            }
        }
    }

    func withMessage<R>(_ index: Int, _ body: (UnsafeMutablePointer<zmq_msg_t>) throws(ZMQError) -> R) throws(ZMQError) -> R {
        precondition(index >= 0 && index < count, "part \(index) of \(count)")
        let message = withUnsafeMutablePointerToElements { $0 + index }
        return try withExtendedLifetime(self) { () throws(ZMQError) -> R in try body(message) }
    }
}
