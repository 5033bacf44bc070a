import ColonyCore

/// Why a header frame could not be decoded.
public enum HeaderDecodingError: Error, Equatable, Sendable {
    case missingMagic
    case truncated(offset: Int)
    case invalidUTF8(tag: UInt8)
    case invalidValue(tag: UInt8)
}

extension ColonyHeader {
    /// The header as one frame's bytes.
    public func encoded() -> [UInt8] {
        var out = ColonyHeader.magic
        out.reserveCapacity(64)
        func put(_ tag: HeaderTag, _ value: some Collection<UInt8>) {
            out.append(tag.rawValue)
            appendVarint(UInt64(value.count), to: &out)
            out.append(contentsOf: value)
        }
        func put(_ tag: HeaderTag, number: UInt64) {
            var value: [UInt8] = []
            appendVarint(number, to: &value)
            put(tag, value)
        }
        if let requestID { put(.requestID, number: requestID) }
        if let correlationID { put(.correlationID, correlationID.utf8) }
        if let step { put(.step, step.utf8) }
        if let attempt { put(.attempt, number: UInt64(attempt)) }
        if let idempotencyKey { put(.idempotencyKey, idempotencyKey.utf8) }
        if let deadlineMilliseconds { put(.deadline, number: deadlineMilliseconds) }
        if let status { put(.status, [status.rawValue]) }
        if let errorCode { put(.errorCode, errorCode.rawValue.utf8) }
        if let errorMessage { put(.errorMessage, errorMessage.utf8) }
        if let agent { put(.agent, agent.utf8) }
        for capability in capabilities { put(.offeredCapability, capability.utf8) }
        if let capacity { put(.capacity, number: UInt64(capacity)) }
        if let processID { put(.processID, number: UInt64(processID)) }
        if let timestampMilliseconds { put(.timestamp, number: timestampMilliseconds) }
        if let capability { put(.requestedCapability, capability.utf8) }
        if let skippedForFailedRuns { put(.skippedFailed, number: skippedForFailedRuns) }
        if let skippedForCancelledRuns { put(.skippedCancelled, number: skippedForCancelledRuns) }
        if let instance { put(.instance, instance.utf8) }
        if let targetInstance { put(.targetInstance, targetInstance.utf8) }
        for group in groups { put(.group, group.utf8) }
        if let term { put(.term, number: term) }
        if let redeliveredAfterLossOf { put(.redeliveredAfterLossOf, redeliveredAfterLossOf.utf8) }
        if let leaseExpiresAtMilliseconds { put(.leaseExpiresAt, number: leaseExpiresAtMilliseconds) }
        if let dispatchedTo { put(.dispatchedTo, dispatchedTo.utf8) }
        if let preferredInstance { put(.preferredInstance, preferredInstance.utf8) }
        if wantsDispatchNotice { put(.dispatchNotice, number: 1) }
        if let descriptions { put(.descriptions, descriptions.utf8) }
        if failIfUnoffered { put(.failIfUnoffered, number: 1) }
        return out
    }

    /// Decodes a header frame. Unknown tags are skipped; anything truncated or invalid throws.
    public init(decoding frame: some WireFrame) throws(HeaderDecodingError) {
        let result = frame.withUnsafeBytes { bytes in
            Result { () throws(HeaderDecodingError) -> ColonyHeader in try ColonyHeader(bytes: bytes) }
        }
        self = try result.get()
    }

    private init(bytes: UnsafeRawBufferPointer) throws(HeaderDecodingError) {
        guard bytes.count >= 4, Array(bytes[0..<4]) == ColonyHeader.magic else { throw .missingMagic }
        self.init()
        var offset = 4
        while offset < bytes.count {
            let tag = bytes[offset]
            offset += 1
            let length = try readVarint(bytes, at: &offset)
            guard length <= UInt64(bytes.count - offset) else { throw .truncated(offset: offset) }
            let value = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
            offset += Int(length)
            guard let known = HeaderTag(rawValue: tag) else { continue }
            func text() throws(HeaderDecodingError) -> String {
                guard let string = String(validating: value, as: UTF8.self) else { throw .invalidUTF8(tag: tag) }
                return string
            }
            func number() throws(HeaderDecodingError) -> UInt64 {
                var inner = 0
                let decoded = try readVarint(value, at: &inner)
                guard inner == value.count else { throw .invalidValue(tag: tag) }
                return decoded
            }
            switch known {
            case .requestID: requestID = try number()
            case .correlationID: correlationID = try text()
            case .step: step = try text()
            case .attempt:
                guard let attempt = UInt32(exactly: try number()) else { throw .invalidValue(tag: tag) }
                self.attempt = attempt
            case .idempotencyKey: idempotencyKey = try text()
            case .deadline: deadlineMilliseconds = try number()
            case .status:
                guard value.count == 1, let status = Status(rawValue: value[0]) else { throw .invalidValue(tag: tag) }
                self.status = status
            case .errorCode: errorCode = ErrorCode(try text())
            case .errorMessage: errorMessage = try text()
            case .agent: agent = try text()
            case .offeredCapability: capabilities.append(try text())
            case .capacity:
                guard let capacity = UInt32(exactly: try number()) else { throw .invalidValue(tag: tag) }
                self.capacity = capacity
            case .processID:
                guard let pid = UInt32(exactly: try number()) else { throw .invalidValue(tag: tag) }
                processID = pid
            case .timestamp: timestampMilliseconds = try number()
            case .requestedCapability: capability = try text()
            case .skippedFailed: skippedForFailedRuns = try number()
            case .skippedCancelled: skippedForCancelledRuns = try number()
            case .instance: instance = try text()
            case .targetInstance: targetInstance = try text()
            case .group: groups.append(try text())
            case .term: term = try number()
            case .redeliveredAfterLossOf: redeliveredAfterLossOf = try text()
            case .leaseExpiresAt: leaseExpiresAtMilliseconds = try number()
            case .dispatchedTo: dispatchedTo = try text()
            case .preferredInstance: preferredInstance = try text()
            case .dispatchNotice: wantsDispatchNotice = try number() != 0
            case .descriptions: descriptions = try text()
            case .failIfUnoffered: failIfUnoffered = try number() != 0
            }
        }
    }
}

/// LEB128: 7 bits a byte, low bits first.
func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
        out.append(UInt8(value & 0x7F) | 0x80)
        value >>= 7
    }
    out.append(UInt8(value))
}

func readVarint(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) throws(HeaderDecodingError) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
        guard offset < bytes.count else { throw .truncated(offset: offset) }
        let byte = bytes[offset]
        offset += 1
        // The tenth byte may carry one bit (bit 63); more would not fit in 64 bits.
        guard shift < 64, shift < 63 || byte & 0x7E == 0 else { throw .truncated(offset: offset) }
        result |= UInt64(byte & 0x7F) << shift
        if byte & 0x80 == 0 { return result }
        shift += 7
    }
}
