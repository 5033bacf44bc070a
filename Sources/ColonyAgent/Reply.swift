import ColonyWire
import Foundation

/// One answer from an agent: its Colony header (if any) and its body frames.
public struct Reply: Sendable, Hashable {
    /// The reply header; nil when the agent is a plain MDP worker.
    public var header: ColonyHeader?
    /// The body frames as sent by the agent (usually one JSON document).
    public var body: [[UInt8]]
    /// Whether more replies follow (an MDP/0.2 PARTIAL).
    public var isPartial: Bool

    public init(header: ColonyHeader?, body: [[UInt8]], isPartial: Bool = false) {
        self.header = header
        self.body = body
        self.isPartial = isPartial
    }

    /// The body joined into one byte string.
    public var bytes: [UInt8] { body.count == 1 ? body[0] : body.flatMap { $0 } }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Decodes the body as JSON of type `T`.
    public func decode<T: Decodable>(_ type: T.Type) throws(RequestError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw .invalidReply("expected \(T.self): \(error) in \(text.prefix(200))")
        }
    }
}
