import ArgumentParser
import Foundation

/// A service's base URL, as an option, else an environment variable, else the service's own.
enum ServiceURL {
    /// `flag`, e.g. `--huntress-url`, names where to give it in the error.
    static func resolve(_ option: String?, environment: String, default fallback: URL, service: String, flag: String) throws -> URL {
        let text = option ?? ProcessInfo.processInfo.environment[environment]
        guard let text, !text.isEmpty else { return fallback }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
            throw ValidationError("the \(service) URL \(text) is not an http(s) URL: pass e.g. \(flag) \(fallback.absoluteString)")
        }
        return url
    }
}
