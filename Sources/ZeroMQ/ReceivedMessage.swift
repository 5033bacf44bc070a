import CZeroMQ

/// A multipart message received into storage that the next receive reuses: its parts are read
/// in place (`parts`), with no object per part, for a loop that handles each message before it
/// receives the next (the broker's routing thread). Parts are `zmq_msg_t`s at fixed addresses.
///
/// Its stored properties skip Swift's run-time exclusivity checks (`@exclusivity(unchecked)`;
/// a receive would otherwise pay for several): like its socket it has one owner thread, and no
/// method accesses one of them across a call that could reach it again.
///
/// At most `maximumParts` parts are kept: the rest of a longer message is received and dropped,
/// and `overflowed` says so (a peer may send a million empty frames; nothing needs that many).
public final class ReceivedMessage {
    /// The most parts kept of one message.
    public let maximumParts: Int
    @exclusivity(unchecked) private var storage: UnsafeMutablePointer<zmq_msg_t>
    @exclusivity(unchecked) private var capacity: Int
    /// Where the parts past `maximumParts` are received, each dropping the one before.
    private let dropped = ReceivedMessage.allocate(1)
    /// How many parts the last message kept.
    @exclusivity(unchecked) public private(set) var count = 0
    /// Whether the last message had more than `maximumParts` parts (the rest were dropped).
    @exclusivity(unchecked) public private(set) var overflowed = false

    public init(maximumParts: Int = 1_024) {
        self.maximumParts = max(1, maximumParts)
        capacity = min(8, self.maximumParts)
        storage = Self.allocate(capacity)
    }

    deinit {
        Self.release(storage, capacity)
        Self.release(dropped, 1)
    }

    /// The parts of the message last received: valid until the next receive into this message.
    public var parts: ReceivedParts { ReceivedParts(base: storage, count: count) }

    /// Gets the storage ready for a new message: a buffer grown by a long one shrinks back.
    func begin() {
        count = 0
        overflowed = false
        if capacity > 64 {
            Self.release(storage, capacity)
            capacity = 8
            storage = Self.allocate(capacity)
        }
    }

    /// Where part `index` goes: past `maximumParts`, a slot whose content the next part replaces.
    func slot(_ index: Int) -> UnsafeMutablePointer<zmq_msg_t> {
        guard index < maximumParts else {
            overflowed = true
            return dropped
        }
        if index == capacity { grow() }
        return storage + index
    }

    func finish(count: Int) {
        self.count = min(count, maximumParts)
    }

    private func grow() {
        let larger = Self.allocate(min(capacity * 2, maximumParts))
        for index in 0..<capacity { zmq_msg_move(larger + index, storage + index) }
        Self.release(storage, capacity)
        storage = larger
        capacity = min(capacity * 2, maximumParts)
    }

    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<zmq_msg_t> {
        let storage = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: capacity)
        for index in 0..<capacity { zmq_msg_init(storage + index) }
        return storage
    }

    private static func release(_ storage: UnsafeMutablePointer<zmq_msg_t>, _ capacity: Int) {
        for index in 0..<capacity { zmq_msg_close(storage + index) }
        storage.deallocate()
    }
}

/// The parts of a `ReceivedMessage`, read in place; valid until its next receive.
public struct ReceivedParts: RandomAccessCollection {
    @usableFromInline let base: UnsafeMutablePointer<zmq_msg_t>
    public let count: Int

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> MessagePart {
        precondition(position >= 0 && position < count, "part \(position) of \(count)")
        return MessagePart(base + position)
    }
}
