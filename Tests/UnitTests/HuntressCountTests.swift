import Huntress
@testable import TallyCore
import Testing

/// Counts Huntress answers are range-checked before they become usage (issue 18).
@Suite("Huntress counts are billable numbers")
struct HuntressCountTests {
    @Test func countsOutsideZeroToTwoToTheThirtyOneAreRefusedWithTheOrganization() throws {
        let organization = HuntressOrganization(id: 77, name: "Contoso")
        for units in [0, 1, 2_147_483_647] {
            try HuntressUsageReader.checkCount(units, organization: organization, product: "edr")
        }
        for units in [-1, 2_147_483_648, Int.max, Int.min] {
            #expect(throws: HuntressCountError.self) { try HuntressUsageReader.checkCount(units, organization: organization, product: "edr") }
            do {
                try HuntressUsageReader.checkCount(units, organization: organization, product: "edr")
            } catch {
                #expect("\(error)".contains("“Contoso” (77)") && "\(error)".contains("\(units)"), "\(error)")
            }
        }
    }
}
