import Autotask
import Foundation
public import TallyQueue

/// The `contract_note` job: posts the audit note of one adjustment on its
/// contract (`ContractNotes`). Enqueued once the adjustment has landed
/// (`ContractNoteLedger`), so a note never makes a sync post again; a note
/// whose post got no answer is looked up by its title's marker, once that
/// post can no longer land, before it is posted again.
public struct ContractNoteKind: JobKind {
    public static let name = "contract_note"

    public struct Arguments: RowArguments, Hashable {
        public typealias Column = CodingKeys
        public var noteID: Int64

        public init(noteID: Int64) { self.noteID = noteID }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case noteID = "note_id"
        }
    }

    public struct Report: Codable, Sendable, Equatable {
        public var contractID: Int?
        public var autotaskNoteID: Int?
        public var reasonCode: String?

        enum CodingKeys: String, CodingKey {
            case contractID = "contract_id", autotaskNoteID = "autotask_note_id", reasonCode = "reason_code"
        }
    }

    let services: SyncServices

    public init(services: SyncServices) { self.services = services }

    public func run(_ arguments: Arguments, context: JobContext) async throws -> JobOutcome {
        let tenantID = context.job.tenantID
        let record = try await services.pool.withConnection {
            try await ContractNoteRecord.load(tenantID: tenantID, noteID: arguments.noteID, on: $0)
        }
        guard let record else { return .skipped("note \(arguments.noteID) no longer exists (its tenant was removed)") }
        var report = Report(contractID: record.contractID)
        defer { self.report(report, in: context) }
        switch record.state {
        case "posted":
            report.autotaskNoteID = record.autotaskNoteID.map(Int.init)
            return .noted("already posted as Autotask note \(record.autotaskNoteID.map(String.init) ?? "?")")
        case "owed":
            break
        default:
            return .skipped("the adjustment of note \(record.noteID) did not land (\(record.state)): no note is owed")
        }
        // The tenant (and its opened secret) once per batch, as a sync batch reads it.
        let tenant = try await context.memo.value("contract_note.tenant") { await loadTenant(tenantID) }.get()
        services.meter.attribute(account: tenant.credentials.account, to: tenantID)
        let session = services.autotask.session(tenant.credentials)
        let text = ContractNoteText(record: record)
        do {
            if let sent = record.noteSentAt, let found = try await lookUp(text, sentAt: sent, tenant: tenant, session: session) {
                try await services.pool.withConnection { try await ContractNoteRecord.markPosted(record.noteID, tenantID: tenantID, autotaskNoteID: found, on: $0) }
                report.autotaskNoteID = found
                return .noted("found Autotask note \(found), posted by an earlier attempt whose answer was lost")
            }
            try await checkBudget(tenant: tenant, session: session)
            try await services.pool.withConnection {
                try await ContractNoteRecord.markSent(record.noteID, job: context.job, worker: context.workerID, on: $0)
            }
            let noteID: Int
            do {
                noteID = try await session.createContractNote(
                    NewContractNote(contractID: record.contractID, title: text.title, description: text.description))
            } catch let error as AutotaskError where error.provesWriteRefused {
                try await services.pool.withConnection { try await ContractNoteRecord.markRefused(record.noteID, tenantID: tenantID, on: $0) }
                throw error
            }
            try await services.pool.withConnection { try await ContractNoteRecord.markPosted(record.noteID, tenantID: tenantID, autotaskNoteID: noteID, on: $0) }
            report.autotaskNoteID = noteID
            return .succeeded
        } catch {
            let failure = WorkFailure.classify(error)
            report.reasonCode = failure.reasonCode
            throw failure.error
        }
    }

    private func loadTenant(_ tenantID: Int64) async -> Result<SyncTenant, any Error> {
        do {
            return .success(try await services.pool.withConnection { try await SyncTenant.load(tenantID: tenantID, key: services.secretKey, on: $0) })
        } catch {
            return .failure(error)
        }
    }

    /// After a post without an answer: waits until it can no longer land, then
    /// looks for the note by its marker.
    private func lookUp(_ text: ContractNoteText, sentAt: Date, tenant: SyncTenant, session: AutotaskSession) async throws -> Int? {
        let settles = sentAt.addingTimeInterval(services.unansweredWriteSettles.seconds)
        if settles > Date() { throw NoteUnanswered(settlesAt: settles) }
        try await checkBudget(tenant: tenant, session: session)
        return try await session.contractNotes(contractID: text.record.contractID, titleContaining: text.marker)
            .first { $0.title?.contains(text.marker) == true }?.id
    }

    private func checkBudget(tenant: SyncTenant, session: AutotaskSession) async throws {
        try await services.pool.withConnection { connection in
            try await RequestBudget.check(
                tenantID: tenant.tenantID, budget: tenant.hourlyRequestBudget, planned: 1, meter: services.meter, on: connection)
        }
        try await DatabaseShare.check(tenant: tenant, session: session, services: services)
    }
}

/// A post of the note got no answer and may still land: look for it once it cannot.
struct NoteUnanswered: Error, CustomStringConvertible {
    var settlesAt: Date

    var description: String {
        "an earlier post of this note got no answer; Tally looks for it at \(settlesAt.formatted(.iso8601)), once it can no longer land"
    }
}
