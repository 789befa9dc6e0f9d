import CLibPQ

/// Owns a `PGresult` and frees it when the last reference goes away. A
/// finished result is read-only, so sharing it between threads is safe.
final class ResultHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { PQclear(pointer) }
}

/// The rows a statement returned, decoded lazily from libpq's result.
public struct Rows: RandomAccessCollection, Sendable {
    let handle: ResultHandle?
    public let columns: [String]
    let columnTypes: [PostgresType]
    let columnIndex: [String: Int]
    /// Rows inserted, updated or deleted (`PQcmdTuples`), or returned by a SELECT.
    public let affectedRows: Int
    public let statement: String?

    init(handle: ResultHandle, statement: String?) {
        let result = handle.pointer
        self.handle = handle
        self.statement = statement
        let columnCount = Int(PQnfields(result))
        var names: [String] = []
        var types: [PostgresType] = []
        var index: [String: Int] = [:]
        for column in 0..<columnCount {
            let name = String(cString: PQfname(result, Int32(column)))
            names.append(name)
            types.append(PostgresType(oid: PQftype(result, Int32(column))))
            if index[name] == nil { index[name] = column }
        }
        columns = names
        columnTypes = types
        columnIndex = index
        count = Int(PQntuples(result))
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? count
    }

    public let count: Int
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> Row { Row(rows: self, index: position) }

    func cell(row: Int, column: Int) -> PostgresCell {
        let result = handle!.pointer
        let text: String? = PQgetisnull(result, Int32(row), Int32(column)) == 1
            ? nil
            : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
        return PostgresCell(text: text, type: columnTypes[column], column: columns[column], statement: statement)
    }
}

/// One row of a result. Read columns by name: `try row.decode("units", as: Int.self)`.
public struct Row: Sendable {
    let rows: Rows
    let index: Int

    public func decode<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        guard let position = rows.columnIndex[column] else {
            throw PostgresError(
                .misuse, "the result has no column \"\(column)\" (it has: \(rows.columns.joined(separator: ", ")))",
                statement: rows.statement)
        }
        return try Value.decode(from: rows.cell(row: index, column: position))
    }

    public func decode<Value: PostgresDecodable>(at position: Int, as type: Value.Type = Value.self) throws -> Value {
        guard rows.columns.indices.contains(position) else {
            throw PostgresError(.misuse, "the result has \(rows.columns.count) columns; there is no column \(position)", statement: rows.statement)
        }
        return try Value.decode(from: rows.cell(row: index, column: position))
    }
}
