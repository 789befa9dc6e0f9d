extension Duration {
    /// The duration in seconds, as a Double (for `make_interval(secs => …)` and rates).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
