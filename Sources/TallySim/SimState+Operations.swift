import Foundation

extension SimState {
    /// One page of a query: records with id above `after`, at most `MaxRecords` (≤ 500).
    func query(_ entity: String, body: SimQueryBody, after: Int, admission: Admission, host: String) -> SimResponse {
        guard entity != "ContractServiceAdjustments" else {
            return .errors(405, "ContractServiceAdjustments can only be created; it cannot be queried.")
        }
        let conditions = body.filter.reduce(0) { $0 + $1.conditionCount }
        guard conditions <= 500 else { return .errors(500, SimText.tooManyConditions) }
        let pageSize = min(max(body.maxRecords ?? 500, 1), 500)
        let matches = records(entity, in: admission.database).filter { record in
            (record["id"]?.intValue ?? 0) > after && body.filter.allSatisfy { $0.matches(record) }
        }
        let page = Array(matches.prefix(pageSize))
        var nextPageUrl: JSONValue = .null
        if matches.count > pageSize, var lastID = page.last?["id"]?.intValue {
            var host = host
            switch faults.paging {
            case .garbled: return Self.page(page, body: body, pageSize: pageSize, next: .string("ht tp://%%zone/next page"))
            case .repeat: lastID = after
            case .elsewhere: host = "collector.example.net"
            case nil: break
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let search = String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self)
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "paging", value: String(lastID)), URLQueryItem(name: "search", value: search)]
            let query = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B") ?? ""
            nextPageUrl = .string("http://\(host)/ws\(admission.zone)/ATServicesRest/V1.0/\(entity)/query/next?\(query)")
        }
        return Self.page(page, body: body, pageSize: pageSize, next: nextPageUrl)
    }

    private static func page(_ page: [JSONValue], body: SimQueryBody, pageSize: Int, next: JSONValue) -> SimResponse {
        let items = page.map { project($0, body.includeFields) }
        return .json(JSONValue.object([
            "items": .array(items),
            "pageDetails": .object([
                "count": .int(items.count), "requestCount": .int(pageSize),
                "prevPageUrl": .null, "nextPageUrl": next,
            ]),
        ]))
    }

    func count(_ entity: String, body: SimQueryBody, admission: Admission) -> SimResponse {
        let n = records(entity, in: admission.database).filter { record in body.filter.allSatisfy { $0.matches(record) } }.count
        return .json(JSONValue.object(["queryCount": .int(n)]))
    }

    func item(_ entity: String, id: Int, admission: Admission) -> SimResponse {
        guard entity != "ContractServiceAdjustments" else {
            return .errors(405, "ContractServiceAdjustments can only be created; it cannot be queried.")
        }
        let found = records(entity, in: admission.database).first { $0["id"]?.intValue == id }
        return .json(JSONValue.object(["item": found ?? .null]))
    }

    func threshold(admission: Admission) -> SimResponse {
        .json(JSONValue.object([
            "externalRequestThreshold": .int(hourlyBudget(of: admission.database)),
            "requestThresholdTimeframe": .int(60),
            "currentTimeframeRequestCount": .int(usedThisHour(admission.database, now: Date())),
        ]))
    }

    /// `POST ContractServiceAdjustments`, validated as Autotask documents it.
    func createAdjustment(_ body: JSONValue, parentContractID: Int?, admission: Admission) -> SimResponse {
        guard case .object = body else { return .errors(500, "The request body must be a JSON object.") }
        guard let contractID = parentContractID ?? body["contractID"]?.intValue else { return .errors(500, SimText.required("contractID")) }
        guard let serviceID = body["serviceID"]?.intValue else { return .errors(500, SimText.required("serviceID")) }
        guard let dateText = body["effectiveDate"]?.stringValue else { return .errors(500, SimText.required("effectiveDate")) }
        guard let effective = SimDay(dateText) else { return .errors(500, "effectiveDate is not a valid date.") }
        guard let unitChange = body["unitChange"]?.intValue else { return .errors(500, SimText.required("unitChange")) }
        guard var db = databases[admission.database] else { return .errors(500, SimText.bare) }
        guard let contract = db.spec.contracts.first(where: { $0.id == contractID }) else {
            return .errors(500, SimText.noEntity("contractID"))
        }
        guard contract.contractType == 7 else { return .errors(500, SimText.notRecurring) }
        guard contract.status == 1 else { return .errors(500, SimText.inactive) }
        guard let service = db.spec.services.first(where: { $0.id == serviceID }) else {
            return .errors(500, SimText.noEntity("serviceID"))
        }
        guard contract.startDate <= effective && effective <= contract.endDate else { return .errors(500, SimText.outOfDates) }
        let existing = db.spec.contractServices.first { $0.contractID == contractID && $0.serviceID == serviceID }
        if let given = body["contractServiceID"]?.intValue, given != existing?.id {
            return .errors(500, SimText.serviceNotOnContract)
        }
        let contractService: SimContractService
        if let existing {
            contractService = existing
        } else {
            // Autotask creates the ContractService when it is missing (ContractServiceAdjustments entity page).
            contractService = SimContractService(
                id: db.nextID, contractID: contractID, serviceID: serviceID, unitPrice: service.unitPrice, unitCost: service.unitCost)
            db.nextID += 1
            db.spec.contractServices.append(contractService)
        }
        let adjustment = SimAdjustment(
            id: db.nextID, contractID: contractID, serviceID: serviceID, contractServiceID: contractService.id,
            effectiveDate: effective, unitChange: unitChange, postedBy: admission.userName)
        db.nextID += 1
        db.adjustments.append(adjustment)
        db.unitRows = nil
        databases[admission.database] = db
        return .json(JSONValue.object(["itemId": .int(adjustment.id)]))
    }

    static func project(_ record: JSONValue, _ fields: [String]?) -> JSONValue {
        guard let fields, !fields.isEmpty, case .object(let all) = record else { return record }
        let wanted = Set(fields.map { $0.lowercased() } + ["id"])
        return .object(all.filter { wanted.contains($0.key.lowercased()) })
    }
}
