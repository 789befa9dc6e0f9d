import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lets a Swift task interrupt the blocking call that its connection's thread
/// is making: the request names the operation it is for (so a late request
/// cannot hit the next statement) and writes a byte to a pipe that the
/// blocking call polls beside the server socket.
final class Interrupter: @unchecked Sendable {
    private let lock = NIOLock()
    private var nextOperation: UInt64 = 0
    private var interruptedOperation: UInt64 = 0
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw PostgresError(.connectionFailed, "could not create a pipe: \(String(cString: strerror(errno)))")
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// A new operation id; pass it to `interrupt` and `isInterrupted`.
    func beginOperation() -> UInt64 {
        lock.withLock {
            nextOperation += 1
            return nextOperation
        }
    }

    func interrupt(_ operation: UInt64) {
        lock.withLock { interruptedOperation = operation }
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    func isInterrupted(_ operation: UInt64) -> Bool {
        lock.withLock { interruptedOperation == operation }
    }

    /// Empties the pipe; called by the blocking side after it woke.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
    }
}

/// Waits until `socket` is readable, the interrupter fires, or `timeout` ends.
/// Answers whether the socket is readable.
func waitReadable(socket: Int32, interrupter: Interrupter, timeoutMilliseconds: Int32) -> Bool {
    var descriptors = [
        pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
        pollfd(fd: interrupter.readDescriptor, events: Int16(POLLIN), revents: 0),
    ]
    let ready = poll(&descriptors, 2, timeoutMilliseconds)
    if ready > 0, descriptors[1].revents != 0 { interrupter.drain() }
    return ready > 0 && descriptors[0].revents != 0
}
