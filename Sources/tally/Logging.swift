import Foundation
import Logging

/// A logger to standard error at the level named by TALLY_LOG_LEVEL (default info).
func makeLogger(label: String) -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    let level = ProcessInfo.processInfo.environment["TALLY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
    logger.logLevel = level ?? .info
    return logger
}
