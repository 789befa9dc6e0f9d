/// The world of `make demo` (`tally-sim --demo`), built from `msps`: per MSP
/// one Autotask database with a Huntress EDR and a Huntress M365 service,
/// one company per customer, one Recurring Service contract per company
/// carrying both services with units in force, and the MSP's mistake. The
/// Huntress side (`usageCSV`) counts a little more or less than the
/// contracts hold, so a sync has adjustments to post and rows already in step.
///
/// Dates are relative to `today` (the real date by default), so the world is
/// current whenever it is made; the world leaves `today` unset (real date).
public enum DemoWorld {
    /// Autotask ids of MSP number n (from 1): companies base+101…, contracts base+2001…,
    /// services base+11 (EDR) and base+12 (M365), contract services and adjustments above.
    static func base(_ n: Int) -> Int { n * 1_000_000 }
    /// Huntress organization ids: 51001… for the first MSP, 52001… for the second, …
    public static func organizationID(msp n: Int, customer index: Int) -> Int { 50_000 + n * 1_000 + index + 1 }

    public static func world(today: SimDay? = nil) -> SimWorld {
        let today = today ?? SimDay.today()
        var world = SimWorld()
        for (offset, msp) in msps.enumerated() {
            world.databases.append(database(msp, number: offset + 1, today: today))
        }
        return world
    }

    /// The MSPs' Huntress accounts: key pair `demo-SLUG-public` / `demo-SLUG-private`, and an
    /// organization per customer counting what `usageCSV` says (EDR: a few agents more than
    /// Huntress bills, as real accounts have).
    public static func huntress() -> SimHuntressWorld {
        SimHuntressWorld(accounts: msps.enumerated().map { offset, msp in
            let n = offset + 1
            return SimHuntressAccount(
                id: n, name: msp.slug, publicKey: huntressKey(msp.slug).public, privateKey: huntressKey(msp.slug).private,
                organizations: msp.customers.indices.map { index in
                    let counts = counts(msp: n, customer: index)
                    return SimHuntressOrganization(
                        id: organizationID(msp: n, customer: index), name: msp.customers[index],
                        agentsCount: counts.edr.usage + index % 3, billableAgentsCount: counts.edr.usage,
                        billableIdentities: counts.m365.usage)
                })
        })
    }

    public static func huntressKey(_ slug: String) -> (public: String, private: String) {
        ("demo-\(slug)-public", "demo-\(slug)-private")
    }

    /// The usage Huntress counts for one MSP, as `tally usage import` reads it.
    public static func usageCSV(_ slug: String) -> String? {
        guard let n = msps.firstIndex(where: { $0.slug == slug }).map({ $0 + 1 }) else { return nil }
        var lines = ["organization_id,organization_name,product,units"]
        for (index, customer) in msps[n - 1].customers.enumerated() {
            let counts = counts(msp: n, customer: index)
            let name = "\"" + customer.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            lines.append("\(organizationID(msp: n, customer: index)),\(name),edr,\(counts.edr.usage)")
            lines.append("\(organizationID(msp: n, customer: index)),\(name),m365,\(counts.m365.usage)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    struct Count { var contract: Int; var usage: Int }

    /// Units on the contract and units Huntress counts, the same for a given MSP and customer.
    static func counts(msp n: Int, customer index: Int) -> (edr: Count, m365: Count) {
        var random = SeededGenerator(seed: UInt64(n * 1_000 + index))
        let changes = [0, 0, 0, 1, 2, 3, 5, -1, -2]
        func count(_ low: Int, _ high: Int) -> Count {
            let contract = low + Int(random.next() % UInt64(high - low))
            return Count(contract: contract, usage: contract + changes[Int(random.next() % UInt64(changes.count))])
        }
        return (count(8, 120), count(5, 60))
    }

    static func database(_ msp: DemoMSP, number n: Int, today: SimDay) -> SimDatabase {
        let base = base(n)
        let (y, m, _) = today.components
        let firstOfMonth = SimDay(year: y, month: m, day: 1)
        let edr = SimService(id: base + 11, name: "Huntress Managed EDR", periodType: 3, unitPrice: 4, unitCost: 2.5)
        let m365 = SimService(id: base + 12, name: "Huntress MDR for Microsoft 365", periodType: 3, unitPrice: 3, unitCost: 1.75)
        var database = SimDatabase(
            name: msp.slug, zone: msp.zone, ci: n, users: [
                SimUser(userName: msp.adminUser, secret: msp.secret, integrationCode: msp.integrationCode),
                SimUser(userName: msp.tallyUser, secret: msp.secret, integrationCode: msp.integrationCode,
                        lacks: msp.lacks.isEmpty ? nil : msp.lacks),
            ],
            services: [edr, m365], adjustments: [])
        var nextID = base + 5_001
        for (index, customer) in msp.customers.enumerated() {
            let companyID = base + 101 + index
            let contractID = base + 2_001 + index
            database.companies.append(SimCompany(id: companyID, companyName: autotaskName(customer)))
            var start = firstOfMonth.adding(months: -(1 + index % 11))
            var end = start.adding(months: 36).adding(days: -1)
            if msp.mistake == .contractExpired(customer: customer) {
                // A one-year contract that ended on the last day of the month before last.
                start = firstOfMonth.adding(months: -13)
                end = firstOfMonth.adding(months: -1).adding(days: -1)
            }
            database.contracts.append(SimContract(
                id: contractID, companyID: companyID, contractName: "\(autotaskName(customer)) — Managed Security",
                contractType: 7, contractPeriodType: 1, status: 1, startDate: start, endDate: end))
            let counts = counts(msp: n, customer: index)
            for (service, count) in [(edr, counts.edr), (m365, counts.m365)] {
                if service.id == m365.id, msp.mistake == .serviceMissing(customer: customer) { continue }
                let contractServiceID = nextID
                database.contractServices.append(SimContractService(
                    id: contractServiceID, contractID: contractID, serviceID: service.id, unitPrice: service.unitPrice, unitCost: service.unitCost))
                database.adjustments?.append(SimAdjustment(
                    id: nextID + 1, contractID: contractID, serviceID: service.id, contractServiceID: contractServiceID,
                    effectiveDate: start, unitChange: count.contract, postedBy: "seed"))
                nextID += 2
            }
        }
        return database
    }

    /// Autotask holds some names without the legal suffix Huntress has: `tally map suggest` matches them anyway.
    static func autotaskName(_ customer: String) -> String {
        customer.hasSuffix(", Inc.") ? String(customer.dropLast(6)) : customer
    }
}

extension SimDay {
    func adding(days: Int) -> SimDay { SimDay(ordinal: ordinal + days) }
}
