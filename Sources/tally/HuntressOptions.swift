import ArgumentParser
import Foundation
import TallyCore

/// Where Tally finds Huntress's API (the simulator in tests and the demo).
struct HuntressOptions: ParsableArguments {
    @Option(
        name: .customLong("huntress-url"),
        help: "Huntress's API base URL (default: TALLY_HUNTRESS_URL, else \(Commands.defaultHuntressURL)).")
    var huntressURL: String?

    func validate() throws {
        _ = try url()
    }

    func url() throws -> URL {
        let text = huntressURL ?? ProcessInfo.processInfo.environment["TALLY_HUNTRESS_URL"]
        guard let text, !text.isEmpty else { return Commands.defaultHuntressURL }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
            throw ValidationError("the Huntress URL \(text) is not an http(s) URL: pass e.g. --huntress-url \(Commands.defaultHuntressURL)")
        }
        return url
    }
}
