import Foundation

/// An earlier post to this contract service got no answer (a time-out, a lost
/// connection, a 5xx, a worker that died waiting): it may still land. The job
/// waits until the post is older than the Autotask request timeout plus a
/// margin, then re-reads the units before it writes, so the change is never
/// posted twice.
struct UnansweredWrite: Error, CustomStringConvertible {
    var contractID: Int
    var serviceID: Int
    var sentAt: Date
    var settlesAt: Date

    var description: String {
        "an adjustment of service \(serviceID) on contract \(contractID) sent at \(sentAt.formatted(.iso8601)) got no answer "
            + "and may still land: Tally re-reads the units after \(settlesAt.formatted(.iso8601)) before it writes there again"
    }
}
