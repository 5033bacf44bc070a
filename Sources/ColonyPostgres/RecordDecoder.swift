import ColonyCore
import Foundation
import PostgresNIO

/// Reads a record from a row by its Codable keys: the inverse of `RecordColumns` (JSONB
/// columns are decoded from their JSON, everything else from the column's own type).
struct RecordDecoder {
    static func decode<Record: Decodable>(_ type: Record.Type, from row: PostgresRandomAccessRow) throws -> Record {
        try Record(from: RowDecoder(row: row))
    }
}

private struct RowDecoder: Decoder {
    let row: PostgresRandomAccessRow
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Columns(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "a record is a row of columns"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "a record is a row of columns"))
    }

    struct Columns<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: PostgresRandomAccessRow
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] { (0..<row.count).compactMap { Key(stringValue: row[$0].columnName) } }

        func contains(_ key: Key) -> Bool { row.contains(key.stringValue) }
        func cell(_ key: Key) throws -> PostgresCell {
            guard row.contains(key.stringValue) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no column \(key.stringValue)"))
            }
            return row[key.stringValue]
        }
        func decodeNil(forKey key: Key) throws -> Bool { try cell(key).bytes == nil }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try cell(key).decode(Bool.self) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try cell(key).decode(String.self) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try cell(key).decode(Double.self) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try cell(key).decode(Double.self)) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { Int(clamping: try cell(key).decode(Int64.self)) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { Int8(clamping: try cell(key).decode(Int64.self)) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { Int16(clamping: try cell(key).decode(Int64.self)) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { Int32(clamping: try cell(key).decode(Int64.self)) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try cell(key).decode(Int64.self) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { UInt(clamping: try cell(key).decode(Int64.self)) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { UInt8(clamping: try cell(key).decode(Int64.self)) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { UInt16(clamping: try cell(key).decode(Int64.self)) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { UInt32(clamping: try cell(key).decode(Int64.self)) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { UInt64(clamping: try cell(key).decode(Int64.self)) }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let cell = try cell(key)
            if T.self == Date.self { return try cell.decode(Date.self) as! T }
            if cell.dataType == .jsonb || cell.dataType == .json {
                let text = try cell.decode(String.self)
                if T.self == JSONValue.self {
                    guard let value = JSONValue(parsing: text.utf8) else {
                        throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: "not JSON"))
                    }
                    return value as! T
                }
                return try JSONDecoder().decode(T.self, from: Data(text.utf8))
            }
            return try T(from: CellDecoder(cell: cell, codingPath: codingPath + [key]))
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            guard contains(key), try !decodeNil(forKey: key) else { return nil }
            return try decode(type, forKey: key)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "nested values are stored as JSONB"))
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "nested values are stored as JSONB"))
        }
        func superDecoder() throws -> any Decoder { RowDecoder(row: row) }
        func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoder(row: row) }
    }
}

/// One column's value for a type that decodes from a single primitive (ids, enums).
private struct CellDecoder: Decoder, SingleValueDecodingContainer {
    let cell: PostgresCell
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "column \(cell.columnName) holds one value"))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "column \(cell.columnName) holds one value"))
    }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { cell.bytes == nil }
    func decode(_ type: Bool.Type) throws -> Bool { try cell.decode(Bool.self) }
    func decode(_ type: String.Type) throws -> String { try cell.decode(String.self) }
    func decode(_ type: Double.Type) throws -> Double { try cell.decode(Double.self) }
    func decode(_ type: Float.Type) throws -> Float { Float(try cell.decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { Int(clamping: try cell.decode(Int64.self)) }
    func decode(_ type: Int8.Type) throws -> Int8 { Int8(clamping: try cell.decode(Int64.self)) }
    func decode(_ type: Int16.Type) throws -> Int16 { Int16(clamping: try cell.decode(Int64.self)) }
    func decode(_ type: Int32.Type) throws -> Int32 { Int32(clamping: try cell.decode(Int64.self)) }
    func decode(_ type: Int64.Type) throws -> Int64 { try cell.decode(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { UInt(clamping: try cell.decode(Int64.self)) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { UInt8(clamping: try cell.decode(Int64.self)) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { UInt16(clamping: try cell.decode(Int64.self)) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { UInt32(clamping: try cell.decode(Int64.self)) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { UInt64(clamping: try cell.decode(Int64.self)) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == Date.self { return try cell.decode(Date.self) as! T }
        return try T(from: self)
    }
}
