import ArgumentParser
import TallyCore
import Foundation

/// Where Tally finds Autotask: its zone lookup host (the simulator in tests and the demo).
struct AutotaskOptions: ParsableArguments {
    @Option(
        name: .customLong("autotask-url"),
        help: "Autotask's zone lookup base URL (default: TALLY_AUTOTASK_URL, else \(Commands.defaultZoneLookupURL)).")
    var autotaskURL: String?

    func validate() throws {
        _ = try zoneLookupURL()
    }

    func zoneLookupURL() throws -> URL {
        let text = autotaskURL ?? ProcessInfo.processInfo.environment["TALLY_AUTOTASK_URL"]
        guard let text, !text.isEmpty else { return Commands.defaultZoneLookupURL }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
            throw ValidationError("the Autotask URL \(text) is not an http(s) URL: pass e.g. --autotask-url https://webservices.autotask.net/ATServicesRest/")
        }
        return url
    }
}
