import Foundation

/// A value stored as `json`/`jsonb`: encoded with `JSONEncoder` when sent,
/// decoded with `JSONDecoder` when read.
public struct JSON<Value: Codable & Sendable>: Sendable, PostgresEncodable, PostgresDecodable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public var postgresText: String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding a Codable value built in Swift fails only on non-finite
        // floats; NULL is the honest answer then.
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public static func decode(from cell: PostgresCell) throws -> JSON<Value> {
        let text = try cell.requireText(acceptedTypes: PostgresType.jsons.union(PostgresType.texts), swiftType: "JSON")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return JSON(try decoder.decode(Value.self, from: Data(text.utf8)))
        } catch {
            throw cell.mismatch("JSON of \(Value.self) (\(error))")
        }
    }
}
