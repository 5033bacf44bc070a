import ColonyCore
import Foundation
import NIOCore
import PostgresNIO

/// A record's stored properties as columns, by its Codable keys, the way GRDB stores the same
/// records in SQLite: strings, integers, doubles, booleans and dates as themselves, nil as NULL
/// (optionals included, so an update clears them), and anything else — JSON values, tags,
/// nested types — as JSONB.
struct RecordColumns {
    enum Value {
        case null, text(String), integer(Int64), double(Double), boolean(Bool), date(Date), json(String)
    }

    private(set) var names: [String] = []
    private(set) var values: [Value] = []

    init<Record: Encodable>(_ record: Record) throws {
        let encoder = ColumnEncoder()
        try record.encode(to: encoder)
        names = encoder.storage.columns.map(\.0)
        values = encoder.storage.columns.map(\.1)
    }

    /// The columns but `excluded`, in order.
    func without(_ excluded: Set<String>) -> RecordColumns {
        var copy = self
        let kept = zip(names, values).filter { !excluded.contains($0.0) }
        copy.names = kept.map(\.0)
        copy.values = kept.map(\.1)
        return copy
    }

    /// The values as bindings `$1…$n`, in column order.
    func bindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { try Self.append(value, to: &bindings) }
        return bindings
    }

    /// Appends one value as the next binding.
    static func append(_ value: Value, to bindings: inout PostgresBindings) throws {
        switch value {
        case .null: bindings.appendNull()
        case .text(let text): bindings.append(text)
        case .integer(let number): bindings.append(number)
        case .double(let number): bindings.append(number)
        case .boolean(let flag): bindings.append(flag)
        case .date(let date): bindings.append(date)
        case .json(let text): try bindings.append(JSONBText(text))
        }
    }

    /// `"a", "b"` — column names quoted (they are the records' camelCase keys).
    var quotedNames: String { names.map { "\"\($0)\"" }.joined(separator: ", ") }
    /// `$1, $2…`
    var placeholders: String { (1...max(1, names.count)).map { "$\($0)" }.joined(separator: ", ") }
}

/// JSON text bound as JSONB (the binary format: a version byte, then the text).
struct JSONBText: PostgresEncodable {
    let text: String
    init(_ text: String) { self.text = text }

    static var psqlType: PostgresDataType { .jsonb }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger(UInt8(1))
        byteBuffer.writeString(text)
    }
}

/// Collects a record's columns; nested values (not a single primitive) become JSON text.
private final class ColumnEncoder: Encoder {
    final class Storage { var columns: [(String, RecordColumns.Value)] = [] }
    let storage = Storage()
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Columns(storage: storage))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { fatalError("a record encodes as a keyed container") }
    func singleValueContainer() -> any SingleValueEncodingContainer { fatalError("a record encodes as a keyed container") }

    struct Columns<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let storage: Storage
        var codingPath: [any CodingKey] = []

        mutating func add(_ key: Key, _ value: RecordColumns.Value) { storage.columns.append((key.stringValue, value)) }

        mutating func encodeNil(forKey key: Key) { add(key, .null) }
        mutating func encode(_ value: Bool, forKey key: Key) { add(key, .boolean(value)) }
        mutating func encode(_ value: String, forKey key: Key) { add(key, .text(value)) }
        mutating func encode(_ value: Double, forKey key: Key) { add(key, .double(value)) }
        mutating func encode(_ value: Float, forKey key: Key) { add(key, .double(Double(value))) }
        mutating func encode(_ value: Int, forKey key: Key) { add(key, .integer(Int64(value))) }
        mutating func encode(_ value: Int8, forKey key: Key) { add(key, .integer(Int64(value))) }
        mutating func encode(_ value: Int16, forKey key: Key) { add(key, .integer(Int64(value))) }
        mutating func encode(_ value: Int32, forKey key: Key) { add(key, .integer(Int64(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) { add(key, .integer(value)) }
        mutating func encode(_ value: UInt, forKey key: Key) { add(key, .integer(Int64(clamping: value))) }
        mutating func encode(_ value: UInt8, forKey key: Key) { add(key, .integer(Int64(value))) }
        mutating func encode(_ value: UInt16, forKey key: Key) { add(key, .integer(Int64(value))) }
        mutating func encode(_ value: UInt32, forKey key: Key) { add(key, .integer(Int64(value))) }
        mutating func encode(_ value: UInt64, forKey key: Key) { add(key, .integer(Int64(clamping: value))) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            if let date = value as? Date {
                add(key, .date(date))
            } else if !(value is JSONValue), let primitive = try? SingleValueProbe.primitive(of: value) {
                add(key, primitive)
            } else {
                add(key, .json(String(decoding: try JSONEncoder().encode(value), as: UTF8.self)))
            }
        }

        // Optionals that are nil are stored as NULL (not left out), so an update clears them.
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) { value.map { encode($0, forKey: key) } ?? encodeNil(forKey: key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) { value.map { encode($0, forKey: key) } ?? encodeNil(forKey: key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) { value.map { encode($0, forKey: key) } ?? encodeNil(forKey: key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) { value.map { encode($0, forKey: key) } ?? encodeNil(forKey: key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) { value.map { encode($0, forKey: key) } ?? encodeNil(forKey: key) }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { encodeNil(forKey: key) }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            fatalError("records have no nested containers; nested values are encoded whole")
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            fatalError("records have no nested containers; nested values are encoded whole")
        }
        mutating func superEncoder() -> any Encoder { fatalError("records have no super encoder") }
        mutating func superEncoder(forKey key: Key) -> any Encoder { fatalError("records have no super encoder") }
    }
}

/// Whether a value encodes as one primitive (an id type, an enum's raw value) and which.
private final class SingleValueProbe: Encoder, SingleValueEncodingContainer {
    struct NotPrimitive: Error {}
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    var value: RecordColumns.Value?

    static func primitive<T: Encodable>(of value: T) throws -> RecordColumns.Value {
        let probe = SingleValueProbe()
        try value.encode(to: probe)
        guard let primitive = probe.value else { throw NotPrimitive() }
        return primitive
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { KeyedEncodingContainer(Refuse<Key>()) }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { RefuseUnkeyed() }
    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() { value = .null }
    func encode(_ value: Bool) { self.value = .boolean(value) }
    func encode(_ value: String) { self.value = .text(value) }
    func encode(_ value: Double) { self.value = .double(value) }
    func encode(_ value: Float) { self.value = .double(Double(value)) }
    func encode(_ value: Int) { self.value = .integer(Int64(value)) }
    func encode(_ value: Int8) { self.value = .integer(Int64(value)) }
    func encode(_ value: Int16) { self.value = .integer(Int64(value)) }
    func encode(_ value: Int32) { self.value = .integer(Int64(value)) }
    func encode(_ value: Int64) { self.value = .integer(value) }
    func encode(_ value: UInt) { self.value = .integer(Int64(clamping: value)) }
    func encode(_ value: UInt8) { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt16) { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt32) { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt64) { self.value = .integer(Int64(clamping: value)) }
    func encode<T: Encodable>(_ value: T) throws {
        if let date = value as? Date { self.value = .date(date) } else { throw NotPrimitive() }
    }

    /// A keyed or unkeyed container: the value is not a primitive (its encoding throws).
    struct Refuse<Key: CodingKey>: KeyedEncodingContainerProtocol {
        var codingPath: [any CodingKey] = []
        mutating func encodeNil(forKey key: Key) throws { throw NotPrimitive() }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { throw NotPrimitive() }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Refuse<NestedKey>())
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { RefuseUnkeyed() }
        mutating func superEncoder() -> any Encoder { SingleValueProbe() }
        mutating func superEncoder(forKey key: Key) -> any Encoder { SingleValueProbe() }
    }

    struct RefuseUnkeyed: UnkeyedEncodingContainer {
        var codingPath: [any CodingKey] = []
        var count = 0
        mutating func encodeNil() throws { throw NotPrimitive() }
        mutating func encode<T: Encodable>(_ value: T) throws { throw NotPrimitive() }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Refuse<NestedKey>())
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { RefuseUnkeyed() }
        mutating func superEncoder() -> any Encoder { SingleValueProbe() }
    }
}
