import CZeroMQ

/// One message part, owning a `zmq_msg_t` that lives at a fixed heap address.
///
/// libzmq keeps small bodies inside the `zmq_msg_t` itself, so the struct must never be
/// copied or moved while live; keeping it behind a pointer owned by a class makes that
/// impossible. Sending a frame hands its content to libzmq and leaves the frame empty.
public final class Frame {
    let message: UnsafeMutablePointer<zmq_msg_t>

    /// An empty frame (zero bytes).
    public init() {
        message = .allocate(capacity: 1)
        zmq_msg_init(message)
    }

    /// A frame holding a copy of `bytes`.
    public init(bytes: UnsafeRawBufferPointer) {
        message = .allocate(capacity: 1)
        zmq_msg_init_size(message, bytes.count)
        if bytes.count > 0, let base = bytes.baseAddress {
            zmq_msg_data(message).copyMemory(from: base, byteCount: bytes.count)
        }
    }

    /// A frame holding `part`'s content, moved (not copied): the part is left empty.
    public convenience init(taking part: MessagePart) {
        self.init()
        zmq_msg_move(message, part.message)
    }

    /// A frame holding a copy of `bytes`.
    public convenience init(_ bytes: [UInt8]) {
        self.init()
        bytes.withUnsafeBytes { replace(with: $0) }
    }

    /// A frame holding the UTF-8 bytes of `string`.
    public convenience init(_ string: String) {
        var string = string
        self.init()
        string.withUTF8 { replace(with: UnsafeRawBufferPointer($0)) }
    }

    deinit {
        zmq_msg_close(message)
        message.deallocate()
    }

    private func replace(with bytes: UnsafeRawBufferPointer) {
        zmq_msg_close(message)
        zmq_msg_init_size(message, bytes.count)
        if bytes.count > 0, let base = bytes.baseAddress {
            zmq_msg_data(message).copyMemory(from: base, byteCount: bytes.count)
        }
    }

    /// The frame read in place (valid while the frame lives and is not sent).
    public var part: MessagePart { MessagePart(message) }

    /// The number of bytes in the frame.
    public var count: Int { zmq_msg_size(message) }

    /// Whether the frame holds no bytes (an MDP envelope delimiter, for instance).
    public var isEmpty: Bool { zmq_msg_size(message) == 0 }

    /// Whether more parts of the same message followed this one when it was received.
    public var hasMore: Bool { zmq_msg_more(message) != 0 }

    /// Calls `body` with the frame's bytes; the pointer is valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try part.withUnsafeBytes(body) }
    }

    /// A copy of the frame's bytes.
    public var bytes: [UInt8] { withExtendedLifetime(self) { part.bytes } }

    /// The frame's bytes as a UTF-8 string, or nil if they are not valid UTF-8.
    public var string: String? { withExtendedLifetime(self) { part.string } }
}

extension Frame: CustomStringConvertible {
    public var description: String {
        if let text = string, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) {
            return "\"\(text)\""
        }
        return bytes.prefix(32).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined() + (count > 32 ? "…(\(count) bytes)" : "")
    }
}
