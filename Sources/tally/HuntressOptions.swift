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

    /// `--huntress-limit N/SECONDS` of `tally worker`.
    static func permitLimit(_ limit: String?) throws -> HuntressPermits.Limit {
        guard let limit else { return .huntress }
        let parts = limit.split(separator: "/")
        guard parts.count == 2, let requests = Int(parts[0]), let seconds = Double(parts[1]), requests > 0, seconds > 0 else {
            throw ValidationError("--huntress-limit is N/SECONDS, e.g. 60/61, not \(limit)")
        }
        return HuntressPermits.Limit(requests: requests, window: .milliseconds(Int64(seconds * 1000)))
    }

    func url() throws -> URL {
        try ServiceURL.resolve(
            huntressURL, environment: "TALLY_HUNTRESS_URL", default: Commands.defaultHuntressURL, service: "Huntress",
            flag: "--huntress-url")
    }
}
