import Foundation

extension HuntressBook {
    /// `GET organizations?limit=&page_token=`: highest id first; `limit` 1–500 (default
    /// 10). The token names the last id served, so a page follows on whatever changed.
    func organizationsPage(account: Int, limit: String?, pageToken: String?, pageURL: String) -> SimResponse {
        guard let size = limit.map({ Int($0) }) ?? 10, (1...500).contains(size) else {
            return HuntressText.error(400, HuntressText.badLimit)
        }
        var remaining = organizations(of: account)
        if let pageToken {
            guard let after = Self.lastID(in: pageToken) else { return HuntressText.error(400, HuntressText.badPageToken) }
            remaining = remaining.filter { $0.id < after }
        }
        let page = Array(remaining.prefix(size))
        var pagination = HuntressWirePage.Pagination()
        if remaining.count > size, let last = page.last {
            let token = Self.token(after: last.id)
            pagination = .init(next_page_token: token, next_page_url: "\(pageURL)?limit=\(size)&page_token=\(token)")
        }
        return .json(HuntressWirePage(
            organizations: page.map { HuntressWireOrganization($0, account: account, withUsage: false) }, pagination: pagination))
    }

    /// `GET organizations/{id}` with `actual_usages`; 404 unless the account has it.
    func organizationDetail(account: Int, id: String) -> SimResponse {
        guard let id = Int(id), let organization = organizations[id], organization.accountID == account else {
            return HuntressText.error(404, HuntressText.notFound)
        }
        return .json(HuntressWireDetail(organization: HuntressWireOrganization(organization.spec, account: account, withUsage: true)))
    }

    /// base64url of `after:ID`, unpadded.
    static func token(after id: Int) -> String {
        Data("after:\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    static func lastID(in token: String) -> Int? {
        let standard = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let padded = standard + String(repeating: "=", count: (4 - standard.count % 4) % 4)
        guard let data = Data(base64Encoded: padded), let text = String(data: data, encoding: .utf8), text.hasPrefix("after:") else {
            return nil
        }
        return Int(text.dropFirst(6))
    }
}
