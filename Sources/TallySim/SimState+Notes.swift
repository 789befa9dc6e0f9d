import Foundation

/// A note on a contract, as posted through `POST Contracts/{id}/Notes`.
public struct SimContractNote: Sendable, Codable, Equatable {
    public var id: Int
    public var contractID: Int
    public var title: String
    public var description: String
    public var createDateTime: String
    public var postedBy: String?
}

extension SimState {
    /// Creates a contract note, validated as the ContractNotes entity page documents
    /// it: through the contract's URL, a title of at most 250 characters and a
    /// description of at most 8,000.
    func createNote(_ body: JSONValue, parentContractID: Int?, admission: Admission) -> SimResponse {
        guard case .object = body else { return .errors(500, "The request body must be a JSON object.") }
        guard let contractID = parentContractID else {
            return .errors(500, "ContractNotes are created through their contract: POST Contracts/{parentId}/Notes.")
        }
        if let given = body["contractID"]?.intValue, given != contractID {
            return .errors(500, "contractID \(given) does not match the contract of the URL (\(contractID)).")
        }
        guard let title = body["title"]?.stringValue, !title.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .errors(500, SimText.required("title"))
        }
        guard let description = body["description"]?.stringValue, !description.isEmpty else {
            return .errors(500, SimText.required("description"))
        }
        guard title.count <= 250 else { return .errors(500, "title is longer than 250 characters.") }
        guard description.count <= 8_000 else { return .errors(500, "description is longer than 8000 characters.") }
        guard var db = databases[admission.database] else { return .errors(500, SimText.bare) }
        guard db.spec.contracts.contains(where: { $0.id == contractID }) else { return .errors(500, SimText.noEntity("contractID")) }
        let note = SimContractNote(
            id: db.nextID, contractID: contractID, title: title, description: description,
            createDateTime: Date().formatted(.iso8601), postedBy: admission.userName)
        db.nextID += 1
        db.notes.append(note)
        databases[admission.database] = db
        return .json(JSONValue.object(["itemId": .int(note.id)]))
    }

    /// The notes posted to a database's contracts, oldest first (admin API).
    public func notes(database: String) -> [SimContractNote]? {
        databases[database]?.notes
    }
}
