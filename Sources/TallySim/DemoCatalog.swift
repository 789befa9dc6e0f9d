/// The MSPs of `make demo`: three Autotask databases, 40 customers, and the
/// three mistakes an MSP really makes. `DemoWorld` turns them into a world.
public struct DemoMSP: Sendable {
    /// Database name in the simulator, and the tenant's slug in the demo.
    public var slug: String
    public var name: String
    public var zone: Int
    public var timeZone: String
    /// The API user an administrator set up first (full Contracts, Services, Companies).
    public var adminUser: String
    /// The API user Tally ends up with; it lacks what `lacks` says.
    public var tallyUser: String
    public var lacks: [String]
    public var integrationCode: String
    /// The same secret for both users: a demo, not a vault.
    public var secret: String
    public var customers: [String]
    public var mistake: DemoMistake
}

/// What is wrong at an MSP, in Autotask, before Tally syncs.
public enum DemoMistake: Sendable, Equatable {
    /// The customer's contract has no M365 service.
    case serviceMissing(customer: String)
    /// The customer's contract ended last month.
    case contractExpired(customer: String)
    /// Tally's API user lacks the Contracts area of its security level.
    case userLacksPermission
}

extension DemoWorld {
    public static let msps: [DemoMSP] = [
        DemoMSP(
            slug: "northwind", name: "Northwind IT Services", zone: 2, timeZone: "America/New_York",
            adminUser: "admin@northwind.example", tallyUser: "tally@northwind.example", lacks: [],
            integrationCode: "NWIND-TALLY", secret: "demo-northwind-secret",
            customers: [
                "Alder Creek Accounting", "Bayside Pediatrics", "Beacon Hill Law", "Cedar & Pine Realty", "Driftwood Marine",
                "Harbor Dental Group, Inc.", "Ironwood Construction", "Juniper Family Practice", "Keystone Insurance Agency",
                "Lakeshore Credit Union", "Maple Street Bakery", "Northgate Logistics", "Oakridge Schools",
                "Pinecrest Veterinary", "Quarry Lane Architects",
            ],
            mistake: .serviceMissing(customer: "Harbor Dental Group, Inc.")),
        DemoMSP(
            slug: "contoso", name: "Contoso Managed Services", zone: 3, timeZone: "Europe/London",
            adminUser: "admin@contoso.example", tallyUser: "tally@contoso.example", lacks: [],
            integrationCode: "CONTOSO-TALLY", secret: "demo-contoso-secret",
            customers: [
                "Abbey Road Opticians", "Bramble & Co Solicitors", "Castlegate Surveyors", "Dovecote Nurseries",
                "Elmstead Surgery", "Fenwick Engineering Ltd", "Greyfriars Trust", "Hollybush Dental",
                "Kingsmead Haulage", "Larkspur Interiors", "Millbrook Parish Council", "Riverside Veterinary",
                "Saltmarsh Brewing", "Thornbury Lettings",
            ],
            mistake: .contractExpired(customer: "Riverside Veterinary")),
        DemoMSP(
            slug: "fabrikam", name: "Fabrikam Cloud Partners", zone: 4, timeZone: "America/Chicago",
            adminUser: "admin@fabrikam.example", tallyUser: "tally@fabrikam.example", lacks: ["Contracts"],
            integrationCode: "FABRIKAM-TALLY", secret: "demo-fabrikam-secret",
            customers: [
                "Aurora Orthodontics", "Blue Stem Farms", "Prairie Wind Energy", "Canal Street Books", "Heartland Title Co",
                "Lincoln Park Fitness", "Midway Auto Glass", "Riverbend Clinic", "Sandhill Storage", "Union Station Cafe",
                "Willow Brook Senior Living",
            ],
            mistake: .userLacksPermission),
    ]
}
