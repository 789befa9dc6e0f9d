/// Records as Autotask's REST API shows them (field names from its swagger).
extension SimState {
    static let entities = [
        "Companies", "Contracts", "Services", "ContractServices", "ContractServiceUnits", "ContractServiceAdjustments", "ContractNotes",
    ]

    static func canonicalEntity(_ name: String) -> String? {
        entities.first { $0.lowercased() == name.lowercased() }
    }

    func records(_ entity: String, in name: String) -> [JSONValue] {
        guard let db = databases[name] else { return [] }
        let spec = db.spec
        func num(_ d: Double?) -> JSONValue { d.map(JSONValue.number) ?? .null }
        switch entity {
        case "Companies":
            return spec.companies.map {
                .object(["id": .int($0.id), "companyName": .string($0.companyName), "isActive": .bool($0.isActive ?? true)])
            }
        case "Contracts":
            return spec.contracts.map {
                .object([
                    "id": .int($0.id), "companyID": .int($0.companyID), "contractName": .string($0.contractName),
                    "contractType": .int($0.contractType), "contractPeriodType": $0.contractPeriodType.map(JSONValue.int) ?? .null,
                    "status": .int($0.status), "startDate": .string($0.startDate.wire), "endDate": .string($0.endDate.wire),
                ])
            }
        case "Services":
            return spec.services.map {
                .object([
                    "id": .int($0.id), "name": .string($0.name), "periodType": $0.periodType.map(JSONValue.int) ?? .null,
                    "unitPrice": num($0.unitPrice), "unitCost": num($0.unitCost), "isActive": .bool(true),
                ])
            }
        case "ContractServices":
            return spec.contractServices.map {
                .object([
                    "id": .int($0.id), "contractID": .int($0.contractID), "serviceID": .int($0.serviceID),
                    "unitPrice": num($0.unitPrice), "unitCost": num($0.unitCost),
                ])
            }
        case "ContractNotes":
            return db.notes.map {
                .object([
                    "id": .int($0.id), "contractID": .int($0.contractID), "title": .string($0.title),
                    "description": .string($0.description), "createDateTime": .string($0.createDateTime),
                    "creatorResourceID": .null, "lastActivityDate": .string($0.createDateTime),
                ])
            }
        case "ContractServiceUnits":
            if let cached = db.unitRows { return cached }
            let rows = unitRows(in: name)
            databases[name]?.unitRows = rows
            return rows
        default:
            return []
        }
    }

    private func unitRows(in name: String) -> [JSONValue] {
        guard let db = databases[name] else { return [] }
        let contracts = Dictionary(db.spec.contracts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let byService = Dictionary(grouping: db.adjustments, by: \.contractServiceID)
        let today = self.today
        var rows: [JSONValue] = []
        for cs in db.spec.contractServices {
            guard let contract = contracts[cs.contractID] else { continue }
            for row in BillingPeriods.wireRows(
                contract: contract, service: cs, adjustments: byService[cs.id] ?? [], today: today,
                convention: db.spec.unitRowEnds ?? .nextStart) {
                rows.append(.object([
                    "id": .int(cs.id * 100_000 + row.start.ordinal % 100_000),
                    "contractID": .int(cs.contractID), "contractServiceID": .int(cs.id), "serviceID": .int(cs.serviceID),
                    "startDate": .string(row.start.wire), "endDate": .string(row.end.wire), "units": .int(row.units),
                    "price": cs.unitPrice.map { .number($0 * Double(row.units)) } ?? .null,
                    "cost": cs.unitCost.map { .number($0 * Double(row.units)) } ?? .null,
                    "approveAndPostDate": .null,
                ]))
            }
        }
        return rows.sorted { ($0["id"]?.intValue ?? 0) < ($1["id"]?.intValue ?? 0) }
    }
}
