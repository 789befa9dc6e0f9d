import Foundation
import NIOConcurrencyHelpers

/// The ends of a batch's jobs, written to the database together: a job
/// that took `delay` or longer has its end written at once (with any before
/// it), a quicker one waits at most `delay` for company, and the batch's
/// last write frees its slot. Writes happen one after another, in order.
final class BatchEnds: Sendable {
    private struct State {
        var pending: [EndedJob] = []
        var oldest: ContinuousClock.Instant?
        var timer: Task<Void, Never>?
        var lastWrite: Task<Void, Never>?
    }

    typealias Write = @Sendable (_ ended: [EndedJob], _ releasingSlot: Bool) async -> Void

    private let state = NIOLockedValueBox(State())
    private let delay: Duration
    private let write: Write

    init(delay: Duration, write: @escaping Write) {
        self.delay = delay
        self.write = write
    }

    /// Adds a job's end; `ranFor` is how long the job took.
    func add(_ ended: EndedJob, ranFor: Duration) async {
        let now = ContinuousClock.now
        let writeNow = state.withLockedValue { state -> Bool in
            state.pending.append(ended)
            let oldest = state.oldest ?? now
            state.oldest = oldest
            if ranFor >= delay || now - oldest >= delay { return true }
            if state.timer == nil {
                state.timer = Task { [delay] in
                    guard (try? await Task.sleep(for: delay)) != nil else { return }
                    await self.flush(releasingSlot: false)
                }
            }
            return false
        }
        if writeNow { await flush(releasingSlot: false) }
    }

    /// Writes what is pending, after every earlier write; `releasingSlot`
    /// also frees the batch's slot (call it last, once).
    func flush(releasingSlot: Bool) async {
        let write = self.write
        let thisWrite = state.withLockedValue { state -> Task<Void, Never> in
            let ended = state.pending
            let previous = state.lastWrite
            state.pending = []
            state.oldest = nil
            state.timer?.cancel()
            state.timer = nil
            let next = Task {
                await previous?.value
                if !ended.isEmpty || releasingSlot { await write(ended, releasingSlot) }
            }
            state.lastWrite = next
            return next
        }
        await thisWrite.value
    }
}
