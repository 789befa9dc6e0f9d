import ArgumentParser
import Foundation

/// `--json` for scripts; tables for people otherwise.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (one document) instead of a table.")
    var json = false
}

/// Prints a value as pretty, key-sorted JSON with ISO 8601 dates.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

extension Optional {
    /// The value as text for a table cell; "-" when nil.
    var cell: String { map { "\($0)" } ?? "-" }
}

extension Date {
    /// A timestamp for a table cell, in UTC.
    var cell: String {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        return format.string(from: self)
    }
}

/// Prints a line and flushes standard output at once, so that progress
/// reaches a pipe or a file as it happens, not when the command ends.
func printNow(_ line: String) {
    print(line)
    fflush(nil)  // all streams: naming stdout trips Swift 6's concurrency checking
}
