@testable import TallyCore
import Testing

/// Names from Huntress cannot be refused (the MSP cannot change them): they are cleaned (issue 18).
@Suite("Display names")
struct DisplayNameTests {
    @Test func aForeignNameLosesItsControlCharactersAndIsCutTo200Characters() {
        #expect(DisplayName.cleaned("Contoso\u{1B}]0;owned\u{07} Ltd\r\n") == "Contoso ]0;owned Ltd")
        #expect(DisplayName.cleaned(String(repeating: "é", count: 500)) == String(repeating: "é", count: 200))
        #expect(DisplayName.cleaned("Fabrikam") == "Fabrikam")
    }
}
