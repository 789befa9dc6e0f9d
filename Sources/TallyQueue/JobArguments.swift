/// Arguments that producers can also write from SQL rows: each argument is a
/// column named as its coding key, so a set-based enqueue (a scheduler tick's
/// million jobs) spells no key of its own.
public protocol RowArguments: Codable, Sendable {
    associatedtype Column: CodingKey & CaseIterable
}
