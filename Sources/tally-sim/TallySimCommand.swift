import ArgumentParser
import Foundation
import Logging
import TallySim

@main
struct TallySimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally-sim",
        abstract: "A stateful simulator of Autotask's REST API and Huntress's public API on loopback, for tests, demos and benchmarks.",
        discussion: """
            Prints "tally-sim listening on http://HOST:PORT" once it accepts connections. \
            The zone lookup is http://HOST:PORT/ATServicesRest/; the admin API is under /_sim/. \
            Huntress's API is under http://HOST:PORT/huntress/v1/, its admin calls under /_sim/huntress/.

            Fault spec: comma-separated key=value among 5xx=RATE, ise=RATE, hang=RATE, \
            hangFor=MS, latency=MS, outage=on|off, seed=N (rates from 0 to 1).
            """
    )

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port: Int = 0

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "A world to load: JSON as POST /_sim/world takes it.")
    var world: String?

    @Flag(help: "Serve the world of `make demo`: three MSPs, 40 customers, three mistakes.")
    var demo = false

    @Option(name: .customLong("demo-usage"), help: ArgumentHelp(
        "Print the Huntress usage of this MSP of the demo world as CSV for `tally usage import`, and exit.",
        valueName: "msp"))
    var demoUsage: String?

    @Option(help: "Generate a world from this seed (ignored with --world).")
    var seed: UInt64?

    @Option(help: "Databases in a generated world.")
    var databases: Int = 3

    @Option(help: "Companies (and contracts) per database in a generated world.")
    var companies: Int = 20

    @Option(help: "Requests per rolling hour allowed per database.")
    var hourlyBudget: Int = 10_000

    @Option(help: "Milliseconds added per call past half of the hourly budget (doubled past three quarters).")
    var budgetLatency: Int = 500

    @Option(help: ArgumentHelp(stringLiteral: FaultSpec.help))
    var faults: String?

    @Option(name: .customLong("huntress-world"), help: "Huntress accounts to serve: JSON as POST /_sim/huntress/world takes it.")
    var huntressWorld: String?

    @Option(name: .customLong("huntress-faults"), help: "Faults to inject into Huntress calls from the start (same spec as --faults).")
    var huntressFaults: String?

    func validate() throws {
        if demo, world != nil || seed != nil { throw ValidationError("--demo takes no --world or --seed") }
        if let demoUsage, DemoWorld.usageCSV(demoUsage) == nil {
            throw ValidationError("the demo world has no MSP \(demoUsage): it has \(DemoWorld.msps.map(\.slug).joined(separator: ", "))")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        for spec in [faults, huntressFaults].compactMap({ $0 }) {
            do { _ = try FaultSpec(parsing: spec) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        if let demoUsage, let csv = DemoWorld.usageCSV(demoUsage) {
            return FileHandle.standardOutput.write(Data(csv.utf8))
        }
        let simWorld: SimWorld
        if demo {
            simWorld = DemoWorld.world()
        } else if let world {
            let data = try Data(contentsOf: URL(fileURLWithPath: world))
            do {
                simWorld = try JSONDecoder().decode(SimWorld.self, from: data)
            } catch {
                throw ValidationError("\(world) is not a tally-sim world: \(error)")
            }
        } else if let seed {
            simWorld = WorldGenerator(seed: seed, databases: databases, companiesPerDatabase: companies).generate()
        } else {
            simWorld = SimWorld()
        }
        let state = SimState(
            world: simWorld, hourlyBudget: hourlyBudget, budgetLatencyMilliseconds: budgetLatency,
            faults: try faults.map(FaultSpec.init(parsing:)) ?? FaultSpec())
        if demo { await state.loadHuntress(DemoWorld.huntress()) }
        if let huntressWorld {
            let data = try Data(contentsOf: URL(fileURLWithPath: huntressWorld))
            do {
                await state.loadHuntress(try JSONDecoder().decode(SimHuntressWorld.self, from: data))
            } catch {
                throw ValidationError("\(huntressWorld) is not a tally-sim Huntress world: \(error)")
            }
        }
        if let huntressFaults { await state.setHuntressFaults(try FaultSpec(parsing: huntressFaults)) }
        var logger = Logger(label: "tally-sim")
        logger.logLevel = .warning
        let host = self.host
        try await SimServer.run(state: state, host: host, port: port, logger: logger) { port in
            // Written unbuffered: a parent process waits for this line.
            FileHandle.standardOutput.write(Data("tally-sim listening on http://\(host):\(port)\n".utf8))
        }
    }
}
