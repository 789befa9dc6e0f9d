/// What Tally needs of the API user's security level, said the same way by
/// sync failures, `tally check` and the dashboard's fix (sql/020, checked
/// equal by a test): syncing reads Contracts (with their services and units)
/// and adjusts contract services; mapping reads Companies and Contracts.
/// Reading Services only lets `tally map product` and `tally check` confirm a
/// mapped service: a sync never reads it.
public enum AutotaskPermissions {
    /// Entities a sync or a mapping cannot do without.
    public static let required = ["Companies", "Contracts"]
    /// Read only to confirm a mapped service exists.
    public static let optional = "Services"

    public static let fix =
        "give the Autotask API user's security level access to Companies and Contracts in Autotask (Admin › Security Levels): read both, adjust contract services and add contract notes; reading Services is optional (it lets tally map product and tally check confirm a mapped service)"
}
