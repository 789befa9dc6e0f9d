import Foundation

/// Contract notes: Tally's audit trail on the contracts it changes.
extension AutotaskSession {
    /// Posts a note on a contract through the contract's child URL
    /// (`POST Contracts/{id}/Notes`; the ContractNotes entity page says its
    /// requests need the parent); answers the note's id.
    public func createContractNote(_ note: NewContractNote) async throws -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try await send(
            .POST, entity: "ContractNotes", path: "Contracts/\(note.contractID)/Notes", body: try encoder.encode(note), ids: [note.contractID])
        return try decode(CreateResult.self, from: data, entity: "ContractNotes").itemId
    }

    /// The notes of a contract whose title contains `text` (to find a note an earlier, unanswered post may have made).
    public func contractNotes(contractID: Int, titleContaining text: String) async throws -> [ContractNote] {
        try await query(
            "ContractNotes",
            AutotaskQuery(filter: [.eq("contractID", contractID), .field("title", .contains, .string(text))], maxRecords: 500),
            ids: [contractID])
    }
}

/// A note to create on a contract (title at most 250 characters, description at most 8,000).
public struct NewContractNote: Sendable, Hashable, Codable {
    public static let titleLimit = 250
    public static let descriptionLimit = 8_000

    public var contractID: Int
    public var title: String
    public var description: String

    public init(contractID: Int, title: String, description: String) {
        self.contractID = contractID
        self.title = String(title.prefix(Self.titleLimit))
        self.description = String(description.prefix(Self.descriptionLimit))
    }
}

/// A contract note as Autotask answers it.
public struct ContractNote: Sendable, Hashable, Codable, Identifiable {
    public var id: Int
    public var contractID: Int
    public var title: String?
    public var description: String?
    public var createDateTime: String?
}
