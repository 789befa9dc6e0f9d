/// A PostgreSQL type OID with a readable name for the common built-in types.
public struct PostgresType: Hashable, Sendable, CustomStringConvertible {
    public let oid: UInt32
    public init(oid: UInt32) { self.oid = oid }

    public static let bool = PostgresType(oid: 16)
    public static let bytea = PostgresType(oid: 17)
    public static let char = PostgresType(oid: 18)
    public static let name = PostgresType(oid: 19)
    public static let int8 = PostgresType(oid: 20)
    public static let int2 = PostgresType(oid: 21)
    public static let int4 = PostgresType(oid: 23)
    public static let text = PostgresType(oid: 25)
    public static let oidType = PostgresType(oid: 26)
    public static let json = PostgresType(oid: 114)
    public static let float4 = PostgresType(oid: 700)
    public static let float8 = PostgresType(oid: 701)
    public static let unknown = PostgresType(oid: 705)
    public static let bpchar = PostgresType(oid: 1042)
    public static let varchar = PostgresType(oid: 1043)
    public static let date = PostgresType(oid: 1082)
    public static let time = PostgresType(oid: 1083)
    public static let timestamp = PostgresType(oid: 1114)
    public static let timestamptz = PostgresType(oid: 1184)
    public static let interval = PostgresType(oid: 1186)
    public static let numeric = PostgresType(oid: 1700)
    public static let uuid = PostgresType(oid: 2950)
    public static let jsonb = PostgresType(oid: 3802)

    private static let names: [UInt32: String] = [
        16: "boolean", 17: "bytea", 18: "char", 19: "name", 20: "bigint", 21: "smallint", 23: "integer",
        25: "text", 26: "oid", 114: "json", 700: "real", 701: "double precision", 705: "unknown",
        1042: "character", 1043: "character varying", 1082: "date", 1083: "time",
        1114: "timestamp", 1184: "timestamp with time zone", 1186: "interval", 1700: "numeric",
        2950: "uuid", 3802: "jsonb",
    ]

    public var description: String { Self.names[oid] ?? "type \(oid)" }

    static let integers: Set<PostgresType> = [.int2, .int4, .int8, .oidType]
    static let floats: Set<PostgresType> = [.float4, .float8, .numeric, .int2, .int4, .int8]
    static let texts: Set<PostgresType> = [.text, .varchar, .bpchar, .name, .char, .unknown]
    static let timestamps: Set<PostgresType> = [.timestamptz, .timestamp, .date]
    static let jsons: Set<PostgresType> = [.json, .jsonb]
}
