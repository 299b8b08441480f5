/// Waiting on work that may never end (a database call whose answer was lost) without being
/// held by it: a task group would wait for its child even after cancelling it.
public enum FirstOf {
    /// `work`'s value, or nil when `deadline` returns first (or the caller is cancelled); the
    /// work goes on unwaited, cancelled.
    public static func value<T: Sendable>(_ work: Task<T, Never>, orWhen deadline: @escaping @Sendable () async -> Void) async -> T? {
        let (ended, end) = AsyncStream<T>.makeStream()
        let waiting = Task {
            end.yield(await work.value)
            end.finish()
        }
        let timer = Task {
            await deadline()
            end.finish()
        }
        defer { timer.cancel() }
        for await value in ended { return value }
        waiting.cancel()
        work.cancel()
        return nil
    }

    /// Waits for `body`, or `limit`, whichever comes first.
    public static func atMost(_ limit: Duration, _ body: @escaping @Sendable () async -> Void) async {
        _ = await value(Task { await body() }, orWhen: { try? await Task.sleep(for: limit) })
    }
}
