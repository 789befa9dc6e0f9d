import Foundation

/// Who called, and what the call may do, once it passed authentication and limits.
struct Admission: Sendable {
    var database: String
    var userName: String
    var zone: Int
    var concurrencyKey: String
    var delayMilliseconds: Int
    var fault: FaultAction
}

enum FaultAction: Sendable {
    case none
    case hang(milliseconds: Int)
    case bare
    case serverError
    /// Applies a write, then answers nothing for a while and 504 (reads are unaffected).
    case lostAnswer(milliseconds: Int)
    /// Answers a write 504 at once and applies it this much later (reads are unaffected).
    case lateWrite(milliseconds: Int)
}

enum GateResult: Sendable {
    case refused(SimResponse)
    case admitted(Admission)
}

/// Areas of an API user's security level, by entity.
enum Permission {
    static func area(of entity: String) -> String? {
        switch entity {
        case "Contracts", "ContractServices", "ContractServiceUnits", "ContractServiceAdjustments", "ContractNotes": "Contracts"
        case "Services": "Services"
        case "Companies": "Companies"
        default: nil
        }
    }
}

extension SimState {
    /// Authenticates a call and applies the limits, in Autotask's order: credentials,
    /// zone, permission, threads, hourly threshold. An admitted call must be released.
    func admit(
        userName: String?, secret: String?, integrationCode: String?, zone: Int?, entity: String, endpoint: String, now: Date = Date()
    ) -> GateResult {
        if faults.outage {
            faultsInjected["outage", default: 0] += 1
            return .refused(.errors(503, SimText.serviceUnavailable))
        }
        guard let userName, let databaseName = userIndex[userName.lowercased()], let database = databases[databaseName],
              let user = database.spec.users.first(where: { $0.userName.lowercased() == userName.lowercased() })
        else {
            return .refused(.errors(500, SimText.unknownUser))
        }
        guard zone == database.spec.zone else { return .refused(.errors(500, SimText.wrongZone)) }
        guard integrationCode == user.integrationCode else { return .refused(.errors(500, SimText.badIntegrationCode)) }
        guard secret == user.secret else { return .refused(SimResponse(status: 401, body: Data())) }

        requestCounts[databaseName, default: [:]][entity, default: 0] += 1
        if let area = Permission.area(of: entity), (user.lacks ?? []).contains(where: { $0.lowercased() == area.lowercased() }) {
            return .refused(.errors(403, SimText.noPermission(entity)))
        }
        let key = "\(user.userName.lowercased()) \(endpoint)"
        let throttled = inFlight[key, default: 0] < 3 && random.chance(faults.throttleRate)
        if throttled { faultsInjected["429", default: 0] += 1 }
        if inFlight[key, default: 0] >= 3 || throttled {
            refusals["threadLimit", default: 0] += 1
            return .refused(.errors(429, SimText.threadLimit))
        }
        let budget = hourlyBudget(of: databaseName)
        let used = usedThisHour(databaseName, now: now)
        if used >= budget {
            refusals["threshold", default: 0] += 1
            var response = SimResponse.errors(429, SimText.threshold(budget))
            let oldest = databases[databaseName]?.window.first ?? now
            let wait = max(1, Int(oldest.addingTimeInterval(3600).timeIntervalSince(now).rounded(.up)))
            response.headers.append(("Retry-After", String(wait)))
            return .refused(response)
        }
        databases[databaseName]?.window.append(now)
        inFlight[key, default: 0] += 1
        maxInFlight[key] = max(maxInFlight[key] ?? 0, inFlight[key]!)

        // Autotask adds about 0.5 s a call from 50 % of the threshold and 1 s from 75 %.
        var delay = faults.latencyMilliseconds
        if used + 1 > budget / 2 {
            delay += (used + 1 > budget * 3 / 4 ? 2 : 1) * budgetLatencyMilliseconds
            budgetSlowed[databaseName, default: 0] += 1
        }
        let fault: FaultAction =
            random.chance(faults.hangRate) ? .hang(milliseconds: faults.hangMilliseconds)
            : random.chance(faults.bareErrorRate) ? .bare
            : random.chance(faults.serverErrorRate) ? .serverError
            : random.chance(faults.lostAnswerRate) ? .lostAnswer(milliseconds: faults.hangMilliseconds)
            : random.chance(faults.lateWriteRate) ? .lateWrite(milliseconds: faults.lateMilliseconds)
            : .none
        switch fault {
        case .hang: faultsInjected["hang", default: 0] += 1
        case .bare: faultsInjected["ise", default: 0] += 1
        case .serverError: faultsInjected["5xx", default: 0] += 1
        case .none, .lostAnswer, .lateWrite: break
        }
        return .admitted(Admission(
            database: databaseName, userName: user.userName, zone: database.spec.zone, concurrencyKey: key,
            delayMilliseconds: delay, fault: fault))
    }

    func release(_ admission: Admission) {
        inFlight[admission.concurrencyKey, default: 1] -= 1
        if inFlight[admission.concurrencyKey] == 0 { inFlight[admission.concurrencyKey] = nil }
    }

    /// `zoneInformation?user=`: exempt from limits and credentials.
    func zoneInformation(user: String?, host: String) -> SimResponse {
        if faults.outage {
            faultsInjected["outage", default: 0] += 1
            return .errors(503, SimText.serviceUnavailable)
        }
        guard let user, let name = userIndex[user.lowercased()], let database = databases[name] else {
            return .errors(500, SimText.zoneUnknown)
        }
        struct Zone: Encodable { var zoneName: String; var url: String; var webUrl: String; var ci: Int }
        return .json(Zone(
            zoneName: "Simulated zone \(database.spec.zone)",
            url: database.spec.zoneAnswer ?? "http://\(host)/ws\(database.spec.zone)/ATServicesRest/",
            webUrl: "http://\(host)/ww\(database.spec.zone)/",
            ci: database.spec.ci ?? 0))
    }
}
