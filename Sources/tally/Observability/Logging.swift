import ArgumentParser
import Foundation
import Logging
import TallyCore

/// How Tally logs, from the environment: `LOG_LEVEL` (or the older
/// `TALLY_LOG_LEVEL`; default info) and `LOG_FORMAT` (`text` for a terminal,
/// `json` for one JSON object per line; default text). Always to standard error.
struct LogSettings {
    enum Format: String, CaseIterable { case text, json }

    var level: Logger.Level = .info
    var format: Format = .text

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LogSettings {
        var settings = LogSettings()
        if let text = (environment["LOG_LEVEL"] ?? environment["TALLY_LOG_LEVEL"]).flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("LOG_LEVEL '\(text)' is not a level; use one of \(levels)")
            }
            settings.level = level
        }
        if let text = environment["LOG_FORMAT"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let format = Format(rawValue: text.lowercased()) else {
                throw ValidationError("LOG_FORMAT '\(text)' is not a format; use text or json")
            }
            settings.format = format
        }
        return settings
    }
}

/// A logger to standard error as the environment says; bad settings fall
/// back to the defaults here (long-running commands refuse them in `validate`).
func makeLogger(label: String) -> Logger {
    let settings = (try? LogSettings.fromEnvironment()) ?? LogSettings()
    var logger = Logger(label: label) { label -> any LogHandler in
        var handler: any LogHandler = switch settings.format {
        case .text: StreamLogHandler.standardError(label: label)
        case .json: JSONLogHandler(label: label)
        }
        handler.metadataProvider = TallyWorker.logMetadataProvider
        return handler
    }
    logger.logLevel = settings.level
    return logger
}
