import CLibPQ
import NIOConcurrencyHelpers

/// Receives the server's notices instead of libpq's default printing them
/// to standard error. A FATAL message that arrives while the connection is
/// idle (the server is terminating the session) comes this way, so it marks
/// the connection as doomed.
final class NoticeCollector: @unchecked Sendable {
    private let lock = NIOLock()
    private var fatal = false

    var sawFatal: Bool { lock.withLock { fatal } }

    /// The collector must outlive the connection (the connection owns it and calls `PQfinish` first).
    func install(on connection: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        PQsetNoticeReceiver(connection, { context, result in
            guard let context, let result else { return }
            let collector = Unmanaged<NoticeCollector>.fromOpaque(context).takeUnretainedValue()
            let severity = PQresultErrorField(result, Int32(Character("V").asciiValue!)).map { String(cString: $0) }
            if severity == "FATAL" || severity == "PANIC" {
                collector.lock.withLock { collector.fatal = true }
            }
        }, context)
    }
}
