import ServiceLifecycle

/// A service's work that ends on a graceful shutdown, but never holds the stop hostage.
enum GracefulStop {
    /// Runs `body` until it returns. Once a graceful shutdown begins, `onStop` asks it to end
    /// and it gets `grace` to do so; nil when it did not (it goes on unwaited, and the process
    /// ends without it). Cancelling the caller stops the wait too.
    static func run(grace: Duration, onStop: @escaping @Sendable () -> Void,
                    _ body: @escaping @Sendable () async throws -> Void) async -> Result<Void, Error>? {
        let work = Task { try await body() }
        let (ended, end) = AsyncStream<Result<Void, Error>>.makeStream()
        Task {
            end.yield(await work.result)
            end.finish()
        }
        var finished: Result<Void, Error>?
        await withGracefulShutdownHandler {
            for await result in ended {
                finished = result
                break
            }
        } onGracefulShutdown: {
            onStop()
            Task {
                try? await Task.sleep(for: grace)
                end.finish()
            }
        }
        return finished
    }
}
