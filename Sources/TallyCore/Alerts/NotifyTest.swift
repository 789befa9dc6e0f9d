import Foundation
public import Postgres

extension NotifyDestinations {
    /// `tally notify test`: sends a test alert to the destination now, records
    /// the destination's health like a delivery, and answers the result; nil
    /// when the tenant has no destination of that name.
    public static func test(tenantID: Int64, name: String, key: SecretKey, on connection: Connection) async throws -> AlertSender.Result? {
        guard let destination = try await list(tenantID: tenantID, on: connection).first(where: { $0.name == name }),
              let (_, secret) = try await load(tenantID: tenantID, destinationID: destination.destinationID, key: key, on: connection)
        else { return nil }
        let tenant = try await connection.query("SELECT slug, name FROM tenants WHERE tenant_id = \(tenantID)", name: "tenant names")[0]
        let content = AlertContent.test(tenant: try tenant.decode("slug"), tenantName: try tenant.decode("name"))
        let http = AlertSender.makeClient()
        let result = await AlertSender(http: http).send(content, to: destination, secret: secret, idempotencyKey: "test-" + UUID().uuidString)
        try? await http.shutdown()
        try await AlertDeliveries.record(destinationID: destination.destinationID, runID: 0, alert: "test", result: result, on: connection)
        return result
    }
}

extension AlertContent {
    static func test(tenant slug: String, tenantName: String) -> AlertContent {
        AlertContent(
            alert: "test", tenant: slug, tenantName: tenantName, runID: 0, trigger: "test", dueAt: nil,
            title: "Tally: a test alert for \(tenantName)",
            summary: "This is a test of this alert destination (`tally notify test \(slug)`). Run alerts will look like this.",
            counts: [:], causes: [], held: [], heldTotal: 0, refreshError: nil, seeMore: "tally status \(slug)")
    }
}
