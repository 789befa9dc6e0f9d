/// "1 job", "2 jobs": `count` and the noun, plural unless the count is 1.
public func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
    "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
}
