import ColonyCore
import ColonyWire
import Foundation
import Testing

/// The shared header vectors (docs/vectors/header.json), which the Python SDK's tests read too:
/// both implementations decode and encode the same bytes.
@Suite struct HeaderVectorTests {
    struct Vectors: Decodable {
        struct Valid: Decodable { var name: String; var hex: String; var fields: [String: Field] }
        struct Invalid: Decodable { var name: String; var hex: String; var error: String }
        var valid: [Valid]
        var decode_only: [Valid]
        var invalid: [Invalid]
    }

    /// A field's value: a number, a text, a list of texts or a flag.
    enum Field: Decodable {
        case number(UInt64), text(String), texts([String]), flag(Bool)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) { self = .flag(flag) }
            else if let number = try? container.decode(UInt64.self) { self = .number(number) }
            else if let text = try? container.decode(String.self) { self = .text(text) }
            else { self = .texts(try container.decode([String].self)) }
        }
    }

    static let vectors: Vectors = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try! Data(contentsOf: root.appendingPathComponent("docs/vectors/header.json"))
        return try! JSONDecoder().decode(Vectors.self, from: data)
    }()

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    /// The header the vector's fields describe.
    static func header(_ fields: [String: Field]) throws -> ColonyHeader {
        var header = ColonyHeader()
        for (name, value) in fields {
            switch (name, value) {
            case ("request_id", .number(let n)): header.requestID = n
            case ("correlation_id", .text(let t)): header.correlationID = t
            case ("step", .text(let t)): header.step = t
            case ("attempt", .number(let n)): header.attempt = UInt32(n)
            case ("idempotency_key", .text(let t)): header.idempotencyKey = t
            case ("deadline_ms", .number(let n)): header.deadlineMilliseconds = n
            case ("status", .text(let t)): header.status = t == "ok" ? .ok : .error
            case ("error_code", .text(let t)): header.errorCode = ErrorCode(t)
            case ("error_message", .text(let t)): header.errorMessage = t
            case ("agent", .text(let t)): header.agent = t
            case ("capabilities", .texts(let t)): header.capabilities = t
            case ("capacity", .number(let n)): header.capacity = UInt32(n)
            case ("process_id", .number(let n)): header.processID = UInt32(n)
            case ("timestamp_ms", .number(let n)): header.timestampMilliseconds = n
            case ("capability", .text(let t)): header.capability = t
            case ("skipped_failed", .number(let n)): header.skippedForFailedRuns = n
            case ("skipped_cancelled", .number(let n)): header.skippedForCancelledRuns = n
            case ("instance", .text(let t)): header.instance = t
            case ("target_instance", .text(let t)): header.targetInstance = t
            case ("groups", .texts(let t)): header.groups = t
            case ("term", .number(let n)): header.term = n
            case ("redelivered_after_loss_of", .text(let t)): header.redeliveredAfterLossOf = t
            case ("lease_expires_at_ms", .number(let n)): header.leaseExpiresAtMilliseconds = n
            case ("dispatched_to", .text(let t)): header.dispatchedTo = t
            case ("preferred_instance", .text(let t)): header.preferredInstance = t
            case ("wants_dispatch_notice", .flag(let f)): header.wantsDispatchNotice = f
            case ("descriptions", .text(let t)): header.descriptions = t
            default: throw VectorError.unknownField(name)
            }
        }
        return header
    }

    enum VectorError: Error { case unknownField(String) }

    @Test func validVectorsDecodeToTheirFieldsAndEncodeBackToTheirBytes() throws {
        #expect(Self.vectors.valid.count >= 9)
        for vector in Self.vectors.valid {
            let expected = try Self.header(vector.fields)
            let decoded = try ColonyHeader(decoding: Self.bytes(vector.hex))
            #expect(decoded == expected, "\(vector.name)")
            #expect(expected.encoded() == Self.bytes(vector.hex), "\(vector.name)")
        }
        for vector in Self.vectors.decode_only {
            #expect(try ColonyHeader(decoding: Self.bytes(vector.hex)) == Self.header(vector.fields), "\(vector.name)")
        }
    }

    @Test func invalidVectorsAreRefusedWithTheirErrorKind() {
        for vector in Self.vectors.invalid {
            do {
                _ = try ColonyHeader(decoding: Self.bytes(vector.hex))
                Issue.record("\(vector.name) was accepted")
            } catch {
                let kind: String = switch error {
                case .missingMagic: "missing_magic"
                case .truncated: "truncated"
                case .invalidUTF8: "invalid_utf8"
                case .invalidValue: "invalid_value"
                }
                #expect(kind == vector.error, "\(vector.name)")
            }
        }
    }
}
