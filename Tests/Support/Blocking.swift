import Foundation

/// Runs `body` on a thread of its own and awaits its result.
///
/// Waiting for a child process or reading a pipe to its end blocks a thread for as long as the child runs
/// (`go build` of a new toolchain, `go tool trace`, a browser check). On the cooperative pool, which has one
/// thread per core, two such waits stall every other test in the process; their deadlines then pass while
/// they are not even scheduled. So every blocking wait of the test support goes through here.
public func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
