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
        try ServiceURL.resolve(
            autotaskURL, environment: "TALLY_AUTOTASK_URL", default: Commands.defaultZoneLookupURL, service: "Autotask",
            flag: "--autotask-url")
    }
}
