import CarecronStorage
import ServiceLifecycle

/// A service's work that ends on a graceful shutdown, but never holds the stop hostage.
enum GracefulStop {
    /// Runs `body` until it returns. Once a graceful shutdown begins, `onStop` asks it to end
    /// and it gets `grace` to do so; nil when it did not, or the caller was cancelled (the work
    /// is cancelled then, and the process ends without waiting for it).
    static func run(grace: Duration, onStop: @escaping @Sendable () -> Void,
                    _ body: @escaping @Sendable () async throws -> Void) async -> Result<Void, Error>? {
        let work = Task { try await body() }
        let (stop, stopping) = AsyncStream<Void>.makeStream()
        let outcome = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await FirstOf.value(Task { await work.result }, orWhen: {
                    for await _ in stop {}
                    try? await Task.sleep(for: grace)
                })
            } onGracefulShutdown: {
                onStop()
                stopping.finish()
            }
        } onCancel: {
            work.cancel()
        }
        if outcome == nil { work.cancel() }
        return outcome
    }
}
