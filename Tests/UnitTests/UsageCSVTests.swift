import Foundation
@testable import TallyCore
import Testing

/// The usage CSV reader against what spreadsheets and scripts write (issue 18).
@Suite("Usage CSV edge cases")
struct UsageCSVTests {
    let products: Set<String> = ["edr", "m365"]

    func refusal(_ text: String, now: Date = Date()) -> String? {
        do {
            _ = try UsageCSV.parse(text, products: products, now: now)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aQuotedFieldMayHoldLineBreaksCommasAndQuotesAndLaterLinesKeepTheirNumbers() throws {
        let text = "organization_id,product,units,notes\n1,edr,5,\"two\nlines, a comma and \"\"quotes\"\"\"\n2,edr,6,\n"
        let rows = try UsageCSV.parse(text, products: products)
        #expect(rows.map(\.units) == [5, 6])
        let bad = "organization_id,product,units,notes\n1,edr,5,\"one\ntwo\nthree\"\n2,edr,lots,\n"
        #expect(refusal(bad) == "line 5, units: \"lots\" is not a whole number of units, 0 or more")
    }

    @Test func aByteOrderMarkAndWindowsLineEndsAreRead() throws {
        let text = "\u{FEFF}organization_id,organization_name,product,units\r\n1,\"Contoso\",edr,5\r\n2,Fabrikam,m365,6\r\n\r\n"
        let rows = try UsageCSV.parse(text, products: products)
        #expect(rows == [
            UsageRow(organizationID: 1, organizationName: "Contoso", product: "edr", units: 5, observedAt: nil),
            UsageRow(organizationID: 2, organizationName: "Fabrikam", product: "m365", units: 6, observedAt: nil),
        ])
        #expect(try UsageCSV.parse("organization_id,product,units\r1,edr,5\r2,edr,7", products: products).map(\.units) == [5, 7])
        // Spaces inside a name are kept; after a closing quote they are allowed and dropped.
        let spaced = try UsageCSV.parse("organization_id,organization_name,product,units\n1,Customer 1-1,edr,5\n2,\"Two Words\" ,edr,6", products: products)
        #expect(spaced.map(\.organizationName) == ["Customer 1-1", "Two Words"])
    }

    @Test func unitsPastTwoToTheThirtyOneAreRefusedNamingTheLineAndField() {
        #expect(try! UsageCSV.parse("organization_id,product,units\n1,edr,2147483647", products: products)[0].units == 2_147_483_647)
        for units in ["2147483648", "99999999999999999999999"] {
            let message = refusal("organization_id,product,units\n1,edr,3\n2,edr,\(units)")
            #expect(message == "line 3, units: \(units) is more than 2147483647, the most units Tally bills: check the column")
        }
        #expect(refusal("organization_id,product,units\n1,edr,-4") == "line 2, units: \"-4\" is not a whole number of units, 0 or more")
    }

    @Test func anObservedAtInTheFutureIsRefused() throws {
        let now = ISO8601DateFormatter().date(from: "2026-12-01T02:00:00Z")!
        let header = "organization_id,product,units,observed_at\n"
        #expect(try UsageCSV.parse(header + "1,edr,5,2026-12-01T02:04:00Z", products: products, now: now).count == 1)
        #expect(refusal(header + "1,edr,5,2026-12-01T02:00:00Z\n2,edr,5,2027-01-01T00:00:00Z", now: now)
            == "line 3, observed_at: 2027-01-01T00:00:00Z is in the future (it is 2026-12-01T02:00:00Z now): give the time the units were counted")
    }

    @Test func aQuoteLeftOpenOrTextAfterAClosingQuoteIsRefused() {
        #expect(refusal("organization_id,product,units\n1,edr,5\n2,\"edr,6\n3,edr,7\n")
            == "line 3: a quoted field opened here is never closed; close it with \"")
        #expect(refusal("organization_id,product,units\n1,\"edr\"x,5\n")
            == "line 2: text follows a closing quote; inside a quoted field write a quote as \"\"")
    }

    @Test func aNameWithAControlCharacterOrTooLongIsRefused() {
        let header = "organization_id,organization_name,product,units\n"
        #expect(refusal(header + "1,\"Contoso\u{1B}[2J\",edr,5")
            == "line 2, organization_name holds a control character (U+001B): remove it; names are printed in tables")
        #expect(refusal(header + "1,\"two\nlines\",edr,5")
            == "line 2, organization_name holds a control character (U+000A): remove it; names are printed in tables")
        #expect(refusal(header + "1,\(String(repeating: "n", count: 201)),edr,5")
            == "line 2, organization_name is 201 characters long: use at most 200")
    }

    @Test func aCSVPastTheSizeLimitIsRefusedBeforeItIsRead() {
        let text = "organization_id,product,units\n" + String(repeating: "1,edr,5\n", count: UsageCSV.maxBytes / 8 + 1)
        #expect(refusal(text) == "the CSV is 64 MiB or more; Tally reads at most 64 MiB at once: split it into several files and import each")
    }
}
