import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import Logging
import Metrics

/// Falls back on non-delivery (DeliveryFallback.swift): a sent message whose receipt said
/// undelivered, or did not come in its job's `fallbackAfter`, is planned again on its next
/// channel, at the first instant its job's purpose allows. Every node runs it: the store's
/// guarded update lets one of them take each message. Runs before the drain, so a receipt's
/// fallback goes in the same pass.
final class FallbackStep: SchedulerStep {
    let store: any CareStore
    let log: Logger
    static let batch = 500

    init(store: any CareStore, log: Logger) {
        self.store = store
        self.log = log
    }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        guard pass.writes else { return nil }
        let jobs = Dictionary(pass.runtime.jobs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let policy = pass.runtime.config.policy
        while pass.keepGoing() {
            let due = try await store.outbox.awaitingFallback(dueBy: pass.now, limit: Self.batch)
            for m in due {
                guard let next = m.fallbacks.first else {
                    _ = try await store.outbox.fallBackUndelivered(m, reason: "", at: pass.now, now: pass.now)
                    continue
                }
                let wait = m.rendering.awaitReceipt.map(TimeSpan.init(seconds:))
                let why = DeliveryFallback.reason(channel: m.rendering.channel, next: next.channel,
                                                  undelivered: m.delivery == .undelivered ? (m.deliveryReason ?? "") : nil, wait: wait)
                // A job gone from jobs/ still has its message sent on; its purpose unknown, it waits for quiet hours to end.
                let at = jobs[m.job].map { DeliveryFallback.sendingTime($0, policy: policy, now: pass.now) }
                    ?? policy.nextAllowed(.transactional, atOrAfter: pass.now)
                if try await store.outbox.fallBackUndelivered(m, reason: why.description, at: at, now: pass.now) {
                    Counter(label: "carecron_fallbacks_total", dimensions: [("job", m.job), ("from", m.rendering.channel), ("to", next.channel)]).increment()
                    log.info("not delivered: falling back", metadata: ["msg": "\(m.logContext)", "to": "\(next.channel)", "why": "\(why)"])
                }
            }
            if due.count < Self.batch { break }
        }
        return try await store.outbox.nextReceiptDue()
    }
}
