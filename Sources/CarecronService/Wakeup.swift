import Foundation

/// Lets the scheduler sleep until its next due instant and be woken early when new data
/// arrives (API, import) or the configuration is reloaded: no busy polling.
public actor Wakeup {
    private var waiter: CheckedContinuation<Void, Never>?
    private var pending = false

    public init() {}

    /// Wakes the sleeper now (or makes its next sleep return at once).
    public func ring() {
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
            await self?.ring()
        }
        await withCheckedContinuation { waiter = $0 }
        pending = false
        timer.cancel()
    }
}
