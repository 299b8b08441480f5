import CarecronDomain
import Foundation

/// The outbox over time (issue 14): finished messages (sent, cancelled, dead) older than
/// `outbox.keepFor` leave the outbox in small batches, their counts kept in `outbox_purged` so
/// that `status` and the metrics show the same totals, and their occurrence keys kept, detached,
/// for as long as any job could plan the occurrence again.
public protocol OutboxRetentionStore: Sendable {
    /// Removes up to `limit` finished messages last changed before `cutoff`, in one short
    /// transaction (sending waits for it at most that long); how many it removed.
    func purgeFinished(before cutoff: Date, limit: Int) async throws -> Int
    /// Forgets up to `limit` keys of purged messages planned before `cutoff`; how many.
    func purgeDetachedKeys(before cutoff: Date, limit: Int) async throws -> Int
}

public enum OutboxRetention {
    /// How long the key of a purged message is kept: the longest-lived occurrence a job can plan
    /// again is a yearly one (a birthday, a campaign's occasion), keyed by its year and planned
    /// only within it, so a year and a month is more than any job needs.
    public static let keyLife = TimeSpan.days(400)
    public static let batchSize = 500

    public struct Pass: Sendable, Equatable {
        public var messages = 0
        public var keys = 0
        /// False when `maxBatches` stopped it with more to purge: run it again soon.
        public var finished = true

        public init(messages: Int = 0, keys: Int = 0, finished: Bool = true) {
            self.messages = messages
            self.keys = keys
            self.finished = finished
        }
    }

    /// One pass of the rule, a batch (one short transaction) at a time, at most `maxBatches`, so
    /// that the service's sending goes on between passes however much there is to purge.
    public static func run(_ store: any OutboxRetentionStore, keepFor: TimeSpan, now: Date, batchSize: Int = batchSize,
                           maxBatches: Int = 20) async throws -> Pass {
        var pass = Pass(), batches = 0
        func more(_ n: Int) -> Bool {
            batches += 1
            if n < batchSize { return false }
            if batches >= maxBatches { pass.finished = false; return false }
            return true
        }
        let cutoff = now.addingTimeInterval(-keepFor.interval)
        while true {
            let n = try await store.purgeFinished(before: cutoff, limit: batchSize)
            pass.messages += n
            if !more(n) { break }
        }
        guard pass.finished else { return pass }
        let keyCutoff = now.addingTimeInterval(-max(keepFor, keyLife).interval)
        while true {
            let n = try await store.purgeDetachedKeys(before: keyCutoff, limit: batchSize)
            pass.keys += n
            if !more(n) { break }
        }
        return pass
    }
}
