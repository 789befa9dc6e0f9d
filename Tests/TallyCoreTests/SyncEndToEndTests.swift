import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

@Suite(.serialized)
struct SyncEndToEndTests {
    /// 20 tenants × 25 organizations × 2 products, three worker processes.
    @Test func everyContractEndsAtUsageAndASecondRunWritesNothing() async throws {
        try await SyncFixture.with(tenants: 20, organizations: 25) { fixture in
            let workers = try fixture.startWorkers(3)
            let connection = fixture.connection
            let jobs = 20 * 25 * 2
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            #expect(try await fixture.mismatches() == [])
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results", on: connection) == jobs)
            #expect(try await Fixtures.count("SELECT count(DISTINCT job_id)::int AS n FROM results", on: connection) == jobs)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: connection) == jobs)
            let written = try await Fixtures.count(
                "SELECT count(*)::int AS n FROM results WHERE adjustment_id IS NOT NULL", on: connection)
            let posted = await fixture.tallyAdjustments()
            #expect(posted.count == written, "one adjustment per change")
            #expect(written > 0)

            await fixture.simulator.state.resetStatistics()
            let second = try await fixture.syncNowAll().map(\.runID)
            #expect(try await fixture.waitForQuietQueue())
            #expect(await fixture.tallyAdjustments().count == posted.count, "the second run wrote no adjustment")
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results WHERE reason_code = 'unchanged' AND run_id = ANY (\(second)::bigint[])
                """, on: connection) == jobs)
            let requests = await fixture.simulator.state.statistics().requests.values.flatMap(\.values).reduce(0, +)
            // 20 tenants of 50 jobs: at least one batch, three reads each, per tenant.
            #expect(requests <= 20 * 3 * 3, "\(requests) Autotask requests for \(jobs) unchanged jobs")
            await workers.stopAll()
        }
    }

    /// The steady state of one tenant with 500 organizations and products.
    @Test func aSteadyStateRunCostsAtMostAFifthOfARequestPerJob() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 250) { fixture in
            let workers = try fixture.startWorkers(
                2, arguments: ["--concurrency", "4", "--retry-base-seconds", "0.2"] + ObservabilityTests.endpointArguments)
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            await fixture.simulator.state.resetStatistics()
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            #expect(try await fixture.mismatches() == [])
            let statistics = await fixture.simulator.state.statistics()
            let requests = statistics.requests.values.flatMap(\.values).reduce(0, +)
            #expect(Double(requests) / 500 <= 0.2, "\(requests) requests for 500 unchanged jobs: \(statistics.requests)")
            let counted = try await Fixtures.count(
                "SELECT sum(requests)::int AS n FROM autotask_request_counts", on: fixture.connection)
            #expect(counted >= requests, "Tally counts its own requests for the budget")

            var endpoints: [ObservabilityEndpoint] = []
            for worker in workers { endpoints.append(try await ObservabilityEndpoint.of(worker)) }
            var measured = 0.0, reads = 0.0
            for endpoint in endpoints {
                measured += try await endpoint.total(TallyMetrics.autotaskRequests)
                reads += try await endpoint.total(TallyMetrics.autotaskRequests, ["endpoint": "Contracts", "outcome": "ok"])
            }
            #expect(reads >= 2, "each run read the tenant's contracts")
            await workers.stopAll()
            let flushed = try await Fixtures.count(
                "SELECT sum(requests)::int AS n FROM autotask_request_counts", on: fixture.connection)
            #expect(Int(measured) == flushed, "/metrics counts every request the budget counts")
        }
    }
}
