import CarecronDomain
import CarecronStorage
import Foundation

/// Messages that need a person: dead ones and those waiting for a retry, with their reasons.
struct OutboxPage {
    let store: any CareStore
    let words: ScheduleWords
    let clock: ShopClock

    func model(state: String?) async throws -> [String: Any] {
        let states: [OutboxState] = state.flatMap(OutboxState.init(rawValue:)).map { [$0] } ?? [.dead, .failed]
        var rows: [[String: Any]] = []
        for s in states {
            for m in try await store.outbox.list(state: s, limit: 500) {
                rows.append([
                    "id": String(m.id), "state": words.state(m.state), "job": m.job, "customerId": m.customerId ?? "",
                    "orders": m.orderIds.joined(separator: ", "), "channel": m.rendering.channel, "attempts": m.attempts,
                    "at": words.instant(m.nextAttemptAt, clock: clock), "error": m.lastError ?? "",
                ])
            }
        }
        let counts = try await store.outbox.counts()
        return ["messages": rows, "none": rows.isEmpty,
                "summary": OutboxState.allCases.map { "\(words.state($0)): \(counts[$0] ?? 0)" }.joined(separator: " · ")]
    }
}
