public import Huntress
import Foundation
public import Postgres
public import TallyQueue

/// The `usage_refresh` job: reads a tenant's organizations and billable
/// counts from Huntress and writes them (`HuntressUsageReader`,
/// `HuntressUsageWriter`).
public struct UsageRefreshKind: JobKind {
    public static let name = "usage_refresh"

    /// None: the job's tenant is the one refreshed, and its run (if any) is the one that waits for it.
    public struct Arguments: RowArguments {
        public init() {}

        public enum Column: CodingKey, CaseIterable {
            public var stringValue: String { switch self {} }
            public init?(stringValue: String) { nil }
            public var intValue: Int? { nil }
            public init?(intValue: Int) { nil }
            public static var allCases: [Column] { [] }
        }
    }

    public struct Report: Codable, Sendable, Equatable {
        var counts = HuntressUsageWriter.Counts()
        var detailReads = 0
        var reasonCode: String?

        enum CodingKeys: String, CodingKey {
            case counts, detailReads = "detail_reads", reasonCode = "reason_code"
        }
    }

    let pool: ConnectionPool
    let huntress: HuntressClient
    let secretKey: SecretKey

    public init(pool: ConnectionPool, huntress: HuntressClient, secretKey: SecretKey) {
        self.pool = pool
        self.huntress = huntress
        self.secretKey = secretKey
    }

    public func run(_ arguments: Arguments, context: JobContext) async throws -> JobOutcome {
        let tenantID = context.job.tenantID
        let setup = try await pool.withConnection { try await RefreshSetup.load(tenantID: tenantID, key: secretKey, on: $0) }
        guard let credentials = setup.credentials else {
            report(Report(reasonCode: "no_huntress_key"), in: context)
            throw try await failing(context, JobFailure.permanent(
                "\(setup.slug) has no Huntress key: give it with `tally tenant huntress \(setup.slug) --key-stdin`, or import usage instead"))
        }
        let reader = HuntressUsageReader(session: huntress.session(credentials), products: setup.products, listCounts: setup.listCounts)
        let reading: HuntressUsageReader.Reading
        let started = ContinuousClock.now
        do {
            reading = try await reader.read(mapped: setup.mapped, checkpoint: context.checkpoint)
        } catch let error as HuntressError {
            report(Report(reasonCode: "huntress_" + ReasonCode.snakeCased(error.reason.rawValue)), in: context)
            let message = error.description.replacingOccurrences(of: "TENANT", with: setup.slug)
            throw try await failing(
                context, error.isTransient ? JobFailure.transient(message, retryAfter: error.retryAfter) : JobFailure.permanent(message))
        } catch let error as HuntressCountError {
            report(Report(reasonCode: "huntress_invalid_count"), in: context)
            throw try await failing(context, JobFailure.permanent(error.description))
        }
        try context.checkpoint()
        let counts = try await pool.withConnection { connection in
            try await connection.withTransaction { tx in
                // One refresh of a tenant writes at a time: a second one waits, then sees the first's rows.
                try await tx.execute("SELECT 1 FROM tenants WHERE tenant_id = \(tenantID) FOR NO KEY UPDATE", name: "refresh lock")
                let counts = try await HuntressUsageWriter.write(reading, tenantID: tenantID, on: tx)
                try await Self.setRefreshLead(after: ContinuousClock.now - started, tenantID: tenantID, on: tx)
                if let runID = context.job.runID {
                    try await Runs.startSyncing(tenantID: tenantID, runID: runID, refreshError: nil, on: tx)
                }
                return counts
            }
        }
        report(Report(counts: counts, detailReads: reading.detailReads), in: context)
        return .succeeded
    }

    /// The next scheduled refresh starts this long before its due time: this
    /// one's duration and half again, plus two minutes (at most 12 hours).
    static func setRefreshLead(after elapsed: Duration, tenantID: Int64, on connection: Connection) async throws {
        let seconds = min(12 * 3600, elapsed.seconds * 1.5 + 120)
        try await connection.execute("""
            UPDATE tenants SET refresh_lead = make_interval(secs => \(seconds)) WHERE tenant_id = \(tenantID)
            """, name: "refresh lead")
    }

    /// A refresh that will not be tried again still lets its run sync: what
    /// is fresh enough syncs, the rest is skipped with this failure's message.
    private func failing(_ context: JobContext, _ failure: JobFailure) async throws -> JobFailure {
        let lastAttempt = switch failure.disposition {
        case .permanent: true
        case .transient: context.job.attempts >= context.job.maxAttempts
        case .deferred: false
        }
        if lastAttempt, let runID = context.job.runID {
            try await pool.withConnection { connection in
                try await connection.withTransaction { tx in
                    try await Runs.startSyncing(
                        tenantID: context.job.tenantID, runID: runID, refreshError: "the refresh from Huntress failed: \(failure.message)", on: tx)
                }
            }
        }
        return failure
    }
}

/// What a refresh needs from Tally's database before it asks Huntress.
struct RefreshSetup {
    var slug: String
    var credentials: HuntressCredentials?
    var products: [HuntressUsageReader.Product]
    var listCounts: Bool
    var mapped: Set<Int64>

    static func load(tenantID: Int64, key: SecretKey, on connection: Connection) async throws -> RefreshSetup {
        let tenant = try await connection.query("""
            SELECT slug, huntress_counts = 'list' AS list_counts FROM tenants WHERE tenant_id = \(tenantID)
            """, name: "refresh tenant")
        guard let row = tenant.first else { throw JobFailure.permanent("the tenant was removed") }
        let products = try await connection.query("""
            SELECT product, huntress_count_field, huntress_list_is_billable, huntress_detail_count FROM products ORDER BY product
            """, name: "refresh products").map {
            HuntressUsageReader.Product(
                name: try $0.decode("product"), listField: try $0.decode("huntress_count_field"),
                listIsBillable: try $0.decode("huntress_list_is_billable"), detailCount: try $0.decode("huntress_detail_count"))
        }
        let mapped = try await connection.query("""
            SELECT organization_id FROM organizations WHERE tenant_id = \(tenantID) AND contract_id IS NOT NULL
            """, name: "refresh mapped organizations").map { try $0.decode("organization_id", as: Int64.self) }
        return RefreshSetup(
            slug: try row.decode("slug"), credentials: try await HuntressKey.load(tenantID: tenantID, key: key, on: connection),
            products: products, listCounts: try row.decode("list_counts"), mapped: Set(mapped))
    }
}
