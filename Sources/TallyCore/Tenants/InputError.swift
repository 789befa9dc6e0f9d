/// Input Tally refuses, with one sentence that says what to do. Nothing was
/// written. The CLI exits 65 on it.
public struct InputError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
