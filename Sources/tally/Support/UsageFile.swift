import Foundation
import TallyCore

/// A usage CSV from a path or standard input ("-"), refused before it is read
/// whole when it is larger than `UsageCSV.maxBytes`.
enum UsageFile {
    static func read(_ path: String) throws -> String {
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: path) else {
                throw InputError("cannot read \(path): check the path and that this user may read it")
            }
            handle = opened
        }
        defer { if path != "-" { try? handle.close() } }
        var data = Data()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            data.append(chunk)
            if data.count > UsageCSV.maxBytes { throw UsageCSV.tooLarge(bytes: data.count) }
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError("\(path == "-" ? "standard input" : path) is not UTF-8 text: save the CSV as UTF-8")
        }
        return text
    }
}
