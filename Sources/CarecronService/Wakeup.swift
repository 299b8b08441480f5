import Foundation

/// Lets the scheduler sleep until its next due instant and be woken early when new data
/// arrives (API, import) or the configuration is reloaded: no busy polling.
public actor Wakeup {
    private var waiter: CheckedContinuation<Void, Never>?
    private var pending = false
    private var news = false

    public init() {}

    /// Wakes the sleeper now (or makes its next sleep return at once): new data, a reload or a
    /// stop, which the scheduler must not answer from its last plan.
    public func ring() {
        news = true
        resume()
    }

    /// Wakes the sleeper without news: messages another node wrote are due, but nothing this
    /// node plans from changed (its leader plans them; only the dispatcher has work).
    public func nudge() { resume() }

    /// Whether anything rang since the last call (a timer running out does not count).
    public func takeNews() -> Bool {
        defer { news = false }
        return news
    }

    private func resume() {
        if let w = waiter {
            waiter = nil
            w.resume()
        } else {
            pending = true
        }
    }

    /// Sleeps at most `seconds`, or until rung.
    public func sleep(_ seconds: TimeInterval) async {
        if pending { pending = false; return }
        guard seconds > 0 else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            await self?.resume()
        }
        await withCheckedContinuation { waiter = $0 }
        pending = false
        timer.cancel()
    }
}
