import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// One part of a message, read where it lies: a view of a `zmq_msg_t` that something else
/// owns (a `Frame`, or a `ReceivedMessage` until its next receive). Copying it copies a pointer,
/// not the part, and involves no reference counting. Its accessors are inlinable: the broker
/// reads a dozen parts a request, and a call into this module for each cost more than the read.
public struct MessagePart {
    @usableFromInline let message: UnsafeMutablePointer<zmq_msg_t>

    @inlinable
    init(_ message: UnsafeMutablePointer<zmq_msg_t>) {
        self.message = message
    }

    /// The number of bytes in the part.
    @inlinable public var count: Int { zmq_msg_size(message) }

    /// Whether the part holds no bytes (an MDP envelope delimiter, for instance).
    @inlinable public var isEmpty: Bool { zmq_msg_size(message) == 0 }

    /// Calls `body` with the part's bytes; the pointer is valid only inside `body`.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(rawBytes)
    }

    @inlinable
    var rawBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message))
    }

    /// A copy of the part's bytes.
    public var bytes: [UInt8] { Array(rawBytes) }

    /// The part's bytes as a UTF-8 string, or nil if they are not valid UTF-8.
    public var string: String? {
        let bytes = rawBytes
        // ASCII (capability names, almost always) is valid UTF-8 as it is: no validation pass,
        // which for a generic decode costs more than the copy.
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// A property libzmq attached to the message this part came in (after a ZAP handler
    /// accepted the peer, "User-Id" is what the handler said); nil when absent.
    public func metadata(_ property: String) -> String? {
        guard let value = zmq_msg_gets(message, property) else { return nil }
        return String(cString: value)
    }

    /// The identity the ZAP handler gave the peer that sent this part.
    public var userID: String? { metadata("User-Id") }

    /// `userID`'s bytes where libzmq keeps them, with no string made; nil when absent. Valid
    /// while the part is: until it is sent, closed or received into again.
    public var userIDBytes: UnsafeRawBufferPointer? {
        guard let value = zmq_msg_gets(message, "User-Id") else { return nil }
        return UnsafeRawBufferPointer(start: value, count: strlen(value))
    }
}
