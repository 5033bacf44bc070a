import ColonySupervisor
import Testing

/// Output arrives in chunks cut anywhere; lines leave whole, and what is held stays bounded.
@Suite struct LineBufferTests {
    func lines(of chunks: [String], flushing: Bool = true) -> [String] {
        var buffer = LineBuffer()
        var seen: [String] = []
        for chunk in chunks { buffer.add(Array(chunk.utf8)) { seen.append(String(decoding: $0, as: UTF8.self)) } }
        if flushing { buffer.flush { seen.append(String(decoding: $0, as: UTF8.self)) } }
        return seen
    }

    @Test func linesCutAcrossChunksLeaveWhole() {
        #expect(lines(of: ["one\ntw", "o\n\nthr", "ee"], flushing: false) == ["one", "two", ""])
        #expect(lines(of: ["one\ntw", "o\n\nthr", "ee"]) == ["one", "two", "", "three"], "a last line without its end leaves at the flush")
        #expect(lines(of: []) == [])
    }

    @Test func aLineLongerThanTheBoundLeavesInPieces() {
        let long = String(repeating: "a", count: LineBuffer.longest + 10)
        let seen = lines(of: [long, "b\n"])
        #expect(seen.map(\.count) == [LineBuffer.longest + 10, 1])
    }
}
