import Autotask
import TallyQueue

/// How the queue treats a failure of a tenant's Autotask work (a sync, a
/// contract note), and the reason code its report keeps (nil: keep any).
enum WorkFailure {
    static func classify(_ error: any Error) -> (error: any Error, reasonCode: String?) {
        switch error {
        case let error as AutotaskError:
            let queued = error.isTransient
                ? JobFailure.transient(error.description, retryAfter: error.retryAfter) : JobFailure.permanent(error.description)
            return (queued, error.reason.snakeCased)
        case let error as SyncSetupError:
            return (JobFailure.permanent(error.message), error.reason.rawValue)
        case let error as SecretError:
            // A key rotation under way: another worker (or this one, restarted) holds the key.
            let queued = error.isWrongKey ? JobFailure.transient(error.description, retryAfter: .seconds(30)) : JobFailure.permanent(error.description)
            return (queued, SyncReason.missingSecret.rawValue)
        case let error as DatabaseBusy:
            return (JobFailure.deferred(until: error.until, error.description), SyncReason.autotaskBusy.rawValue)
        case let error as UnansweredWrite:
            return (JobFailure.deferred(until: error.settlesAt, error.description), SyncReason.writeUnanswered.rawValue)
        case let error as NoteUnanswered:
            return (JobFailure.deferred(until: error.settlesAt, error.description), SyncReason.writeUnanswered.rawValue)
        case let error as JobFailure:
            if case .deferred = error.disposition { return (error, SyncReason.budgetExhausted.rawValue) }
            return (error, nil)
        default:
            return (error, nil)
        }
    }
}
