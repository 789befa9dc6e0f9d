import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// An audit note on the Autotask contract for every adjustment Tally posts
/// (issue 20): one per adjustment, whatever was lost on the way.
@Suite(.serialized)
struct ContractNoteTests {
    @Test func everyAdjustmentGetsOneNoteSayingWhatChangedOnWhatUsageInWhichRun() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let needed = try await fixture.makeEverySyncAChange()
            let workers = try fixture.startWorkers(1)
            let runs = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(60)))
            await workers.stopAll()
            let audit = await NoteAudit.audit(databases: 1, simulator: fixture.simulator.state)
            #expect(audit.adjustments == needed.count && audit.notes == needed.count, "\(audit)")
            #expect(audit.missing == 0 && audit.doubled == 0, "\(audit)")

            let adjustments = Dictionary(uniqueKeysWithValues: await fixture.tallyAdjustments().map { ($0.id, $0) })
            let rows = try await fixture.connection.query("""
                SELECT n.note_id, n.autotask_note_id, n.adjustment_id, n.units_before, n.units_after, n.usage, o.name, n.state
                FROM contract_notes n JOIN organizations o USING (tenant_id, organization_id)
                """)
            #expect(rows.count == needed.count)
            let notes = Dictionary(uniqueKeysWithValues: (await fixture.simulator.state.notes(database: "db1") ?? []).map { ($0.id, $0) })
            for row in rows {
                #expect(try row.decode("state", as: String.self) == "posted")
                let noteID: Int64 = try row.decode("note_id")
                let adjustmentID = Int(try row.decode("adjustment_id", as: Int64.self))
                let before: Int = try row.decode("units_before"), after: Int = try row.decode("units_after")
                let name: String = try row.decode("name")
                guard let note = notes[Int(try row.decode("autotask_note_id", as: Int64.self))],
                      let adjustment = adjustments[adjustmentID] else {
                    Issue.record("note \(noteID) or adjustment \(adjustmentID) is not in Autotask")
                    continue
                }
                #expect(note.contractID == adjustment.contractID)
                #expect(adjustment.unitChange == after - before)
                #expect(note.title.hasSuffix("\(before) → \(after) \(note.title.contains("EDR") ? "agents" : "identities") (Tally note \(noteID))"),
                        "\(note.title)")
                #expect(note.description.contains("from \(before) to \(after)"), "\(note.description)")
                #expect(note.description.contains("Autotask adjustment \(adjustmentID)"), "\(note.description)")
                #expect(note.description.contains("Usage of \(name)"), "\(note.description)")
                #expect(note.description.contains("Run \(runs[0].runID): Sync Now"), "\(note.description)")
            }
        }
    }

    @Test func aTenantThatTurnedNotesOffGetsNone() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 2) { fixture in
            let needed = try await fixture.makeEverySyncAChange()
            try await fixture.connection.execute("UPDATE tenants SET contract_notes = false")
            let workers = try fixture.startWorkers(1)
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(60)))
            await workers.stopAll()
            #expect(await fixture.tallyAdjustments().count == needed.count)
            #expect(await fixture.simulator.state.notes(database: "db1")?.count == 0)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM contract_notes", on: fixture.connection) == 0)
        }
    }

    /// Every post (adjustments and notes alike) is answered 504 at once and
    /// applied 1.5 s later. Each adjustment is confirmed by a re-read and its
    /// note owed; each note's post is looked up by its marker once it can no
    /// longer land, and found: one note per adjustment, units untouched.
    @Test func postsWhoseAnswersWereLostStillMakeOneNoteEach() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let needed = try await fixture.makeEverySyncAChange(faults: "late=1,lateBy=1500ms")
            let workers = try fixture.startWorkers(1)
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(90)))
            await workers.stopAll()
            let audit = await NoteAudit.audit(databases: 1, simulator: fixture.simulator.state)
            #expect(audit.adjustments == needed.count && audit.notes == needed.count, "\(audit)")
            #expect(audit.missing == 0 && audit.doubled == 0, "\(audit)")
            let states = try await fixture.connection.query("SELECT state, adjustment_id FROM contract_notes")
            #expect(states.count == needed.count)
            for row in states {
                #expect(try row.decode("state", as: String.self) == "posted")
                #expect(try row.decode("adjustment_id", as: Int64?.self) == nil, "the adjustments' answers were all lost")
            }
            let messages = try await fixture.connection.query("SELECT outcome_message FROM jobs WHERE kind = 'contract_note'")
            #expect(messages.count == needed.count)
            for row in messages {
                let message: String? = try row.decode("outcome_message")
                #expect(message?.hasPrefix("found Autotask note") == true, "\(message ?? "no message")")
            }
        }
    }
}
