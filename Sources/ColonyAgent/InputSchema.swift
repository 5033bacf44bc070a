import ColonyCore
import ColonyWire

/// JSON Schemas of capability inputs, inferred from their `Decodable` types: the type decodes
/// itself from a decoder that records which keys it asks for, of which JSON types, and which it
/// asks for only if present (optional). Types that inspect values while decoding (enums with
/// raw values, validating initialisers) cannot be inferred: pass the schema by hand for them.
public enum InputSchema {
    /// The schema of `type`, or nil when it cannot be inferred.
    public static func infer<T: Decodable>(_ type: T.Type) -> JSONValue? {
        if type == JSONValue.self || type == Empty.self { return nil }
        return try? schema(of: type).schema
    }

    static func schema<T: Decodable>(of type: T.Type) throws -> (schema: JSONValue, value: T) {
        if type == JSONValue.self { return (.object([:]), JSONValue.null as! T) }
        let recorder = SchemaRecorder()
        let value = try T(from: recorder)
        return (recorder.schema, value)
    }
}

/// Records the shape a type decodes. Not Sendable: used by one call of `InputSchema.infer`.
private final class SchemaRecorder: Decoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    var schema: JSONValue = .object([:])
    var properties: [String: JSONValue] = [:]
    var required: [String] = []

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedRecorder<Key>(recorder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        UnkeyedRecorder(recorder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleRecorder(recorder: self)
    }

    func finishObject() {
        var object: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { object["required"] = .array(required.map { .string($0) }) }
        schema = .object(object)
    }
}

/// The JSON type and a placeholder value for each primitive a type may decode.
private func primitive<T: Decodable>(_ type: T.Type) throws -> (schema: JSONValue, value: T) {
    switch type {
    case is String.Type: return (["type": "string"], "" as! T)
    case is Bool.Type: return (["type": "boolean"], false as! T)
    case is Double.Type: return (["type": "number"], 0.0 as! T)
    case is Float.Type: return (["type": "number"], Float(0) as! T)
    case is Int.Type: return (["type": "integer"], 0 as! T)
    case is Int64.Type: return (["type": "integer"], Int64(0) as! T)
    case is Int32.Type: return (["type": "integer"], Int32(0) as! T)
    case is UInt.Type: return (["type": "integer", "minimum": 0], UInt(0) as! T)
    case is UInt64.Type: return (["type": "integer", "minimum": 0], UInt64(0) as! T)
    case is UInt32.Type: return (["type": "integer", "minimum": 0], UInt32(0) as! T)
    default: return try InputSchema.schema(of: type)
    }
}

private struct KeyedRecorder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: SchemaRecorder
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (schema, value) = try primitive(type)
        recorder.properties[key.stringValue] = schema
        recorder.required.append(key.stringValue)
        recorder.finishObject()
        return value
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        recorder.properties[key.stringValue] = try primitive(type).schema
        recorder.finishObject()
        return nil
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }

    private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        recorder.properties[key.stringValue] = try primitive(type).schema
        recorder.finishObject()
        return nil
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "nested containers are not inferred")
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "nested containers are not inferred")
    }

    func superDecoder() throws -> any Decoder { recorder }
    func superDecoder(forKey key: Key) throws -> any Decoder { recorder }
}

/// Arrays: one element is decoded to learn the items' schema.
private final class UnkeyedRecorder: UnkeyedDecodingContainer {
    let recorder: SchemaRecorder
    var codingPath: [any CodingKey] { [] }
    var count: Int? { 1 }
    var currentIndex = 0
    var isAtEnd: Bool { currentIndex > 0 }

    init(recorder: SchemaRecorder) {
        self.recorder = recorder
        recorder.schema = ["type": "array"]
    }

    func decodeNil() throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try primitive(type)
        recorder.schema = ["type": "array", "items": schema]
        currentIndex += 1
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.dataCorruptedError(in: self, debugDescription: "nested containers are not inferred")
    }

    func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.dataCorruptedError(in: self, debugDescription: "nested containers are not inferred")
    }

    func superDecoder() throws -> any Decoder { recorder }
}

/// Single values: the JSON type of the primitive asked for.
private struct SingleRecorder: SingleValueDecodingContainer {
    let recorder: SchemaRecorder
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try primitive(type)
        recorder.schema = schema
        return value
    }
}
