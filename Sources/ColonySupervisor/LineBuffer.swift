/// Output cut into lines: bytes arrive in chunks of any size, lines leave whole, and a line that
/// grows past `longest` bytes without its end leaves in pieces, so what is held stays bounded.
/// The supervisor's echo of an agent's output and `colony agent logs` both prefix each line
/// with the agent's name through one.
public struct LineBuffer: Sendable {
    /// The longest line held whole.
    public static let longest = 64 * 1024
    private var pending: [UInt8] = []

    public init() {}

    /// Adds `bytes`, and calls `emit` with each line they complete (without its newline), then
    /// with what is held once it passes `longest`.
    public mutating func add(_ bytes: some Collection<UInt8>, _ emit: (ArraySlice<UInt8>) -> Void) {
        pending += bytes
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            emit(pending[start..<newline])
            start = newline + 1
        }
        pending.removeFirst(start)
        if pending.count > Self.longest { flush(emit) }
    }

    /// Calls `emit` with what is held (a line not ended yet), if anything, and forgets it.
    public mutating func flush(_ emit: (ArraySlice<UInt8>) -> Void) {
        guard !pending.isEmpty else { return }
        emit(pending[...])
        pending.removeAll()
    }
}
