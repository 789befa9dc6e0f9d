import Foundation
import Huntress

extension HuntressConfiguration {
    /// Huntress at `url` as the operator named it: an http URL (the simulator)
    /// is allowed for its own host alone; any other must be https.
    static func named(_ url: URL) -> HuntressConfiguration {
        HuntressConfiguration(baseURL: url, plainHTTPHosts: url.scheme == "http" ? Set([url.host].compactMap { $0 }) : [])
    }
}
