/// Anything that can lend its bytes: a ZeroMQ frame, or a byte array in tests and fuzzers.
///
/// The codecs in this module read frames through this protocol so the broker can parse
/// messages in place, without copying bodies out of libzmq.
public protocol WireFrame {
    /// The number of bytes in the frame.
    var count: Int { get }
    /// Calls `body` with the frame's bytes.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: WireFrame where Element == UInt8 {}

extension WireFrame {
    /// Whether the frame holds exactly `bytes`.
    @inlinable
    public func holds(_ bytes: [UInt8]) -> Bool {
        count == bytes.count && withUnsafeBytes { $0.elementsEqual(bytes) }
    }

    /// The frame's only byte, if it has exactly one.
    @inlinable
    public var onlyByte: UInt8? {
        count == 1 ? withUnsafeBytes { $0[0] } : nil
    }
}
