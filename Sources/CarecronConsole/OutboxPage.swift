import CarecronDomain
import CarecronStorage
import Foundation

/// Messages that need a person: dead ones and those waiting for a retry, with their reasons.
struct OutboxPage {
    let store: any CareStore
    let words: ScheduleWords
    let clock: ShopClock

    struct Model: PageModel {
        struct Row: Encodable {
            let id: String
            let state: String
            let job: String
            let customerId: String
            let orders: String
            let channel: String
            let attempts: Int
            let at: String
            let error: String
        }

        let messages: [Row]
        let none: Bool
        let summary: String
    }

    func model(state: String?) async throws -> Model {
        let states: [OutboxState] = state.flatMap(OutboxState.init(rawValue:)).map { [$0] } ?? [.dead, .failed]
        var rows: [Model.Row] = []
        for s in states {
            for m in try await store.outbox.list(state: s, limit: 500) {
                rows.append(Model.Row(id: String(m.id), state: words.state(m.state), job: m.job, customerId: m.customerId ?? "",
                                      orders: m.orderIds.joined(separator: ", "), channel: m.rendering.channel, attempts: m.attempts,
                                      at: words.instant(m.nextAttemptAt, clock: clock), error: m.lastError ?? ""))
            }
        }
        let counts = try await store.outbox.counts()
        return Model(messages: rows, none: rows.isEmpty,
                     summary: OutboxState.allCases.map { "\(words.state($0)): \(counts[$0] ?? 0)" }.joined(separator: " · "))
    }

    /// One message of the outbox with every rendering it may go out in.
    struct MessageModel: PageModel {
        let id: String
        let job: String
        let state: String
        let customerId: String
        let orders: String
        let attempts: Int
        let provider: String
        let error: String
        let renderings: [MessageView]

        init(_ m: OutboxMessage, words: ScheduleWords) {
            id = String(m.id)
            job = m.job
            state = words.state(m.state)
            customerId = m.customerId ?? ""
            orders = m.orderIds.joined(separator: ", ")
            attempts = m.attempts
            provider = m.providerMessageId ?? ""
            error = m.lastError ?? ""
            renderings = ([m.rendering] + m.fallbacks).map(MessageView.init)
        }
    }
}
