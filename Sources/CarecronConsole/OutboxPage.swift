import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation

/// The outbox as history: every message of any state, filtered by state, job, channel, day
/// range and customer, newest first, a page at a time by key; each failure said as what it
/// means and what to do, and only the actions that can help.
struct OutboxPage {
    let store: any CareStore
    let words: ScheduleWords
    let clock: ShopClock

    struct Query {
        var state: OutboxState?
        var job: String?
        var channel: String?
        var customer: String?
        var from: LocalDate?
        var to: LocalDate?
        var before: Int64?

        init(_ parameters: [String: String]) {
            func given(_ key: String) -> String? { parameters[key].flatMap { $0.isEmpty ? nil : $0 } }
            state = given("state").flatMap(OutboxState.init(rawValue:))
            job = given("job")
            channel = given("channel")
            customer = given("customer")
            from = given("from").flatMap { LocalDate(iso: $0) }
            to = given("to").flatMap { LocalDate(iso: $0) }
            before = given("before").flatMap { Int64($0) }
        }

        /// This page of the list: where an action on one of its messages returns to.
        var back: String { "/console/outbox?" + filters + (before.map { "&before=\($0)" } ?? "") }

        /// The filters as a query string (without the page's key), to page on and come back to.
        var filters: String {
            let pairs: [(String, String?)] = [("state", state?.rawValue), ("job", job), ("channel", channel), ("customer", customer),
                                              ("from", from?.description), ("to", to?.description)]
            return pairs.compactMap { k, v in v.map { "\(k)=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" } }
                .joined(separator: "&")
        }
    }

    struct Model: PageModel {
        struct Row: Encodable {
            let id: String
            let state: String
            let stateCode: String
            let job: String
            let customerId: String
            let customerName: String
            let orders: String
            let channel: String
            let attempts: Int
            let at: String
            let meaning: String
            let permanent: Bool
            let error: String
            let canRetry: Bool
            let canDrop: Bool
            /// What the provider said later (a receipt), in words.
            let delivery: String?
        }

        let messages: [Row]
        let none: Bool
        let summary: String
        let states: [Choice]
        let jobs: [Choice]
        let channels: [Choice]
        let customer: String
        let from: String
        let to: String
        let filters: String
        /// This list's address (filters and page), as a form value and inside a link's query.
        let back: String
        let backEncoded: String
        /// The next page's key, when there may be one.
        var next: String?
        /// What the last action did, in a sentence.
        var done: String?
        var doneFailed: Bool?
    }

    static let pageSize = 50

    /// `customerIds`: whom the customer filter found (nil: no filter).
    func model(_ q: Query, jobs: [String], customerIds: [String]?) async throws -> Model {
        var history = OutboxHistoryQuery()
        history.states = q.state.map { [$0] } ?? []
        history.job = q.job
        history.channel = q.channel
        history.customerIds = customerIds
        history.dueFrom = q.from.map { clock.startOfDay($0) }
        history.dueTo = q.to.map { clock.startOfDay($0.adding(days: 1)) }
        history.before = q.before
        history.limit = Self.pageSize
        let messages = try await store.outbox.history(history)
        let names = try await store.customerNames(Array(Set(messages.compactMap(\.customerId))))
        let rows = messages.map { row($0, name: names[$0.customerId ?? ""] ?? "") }
        let counts = try await store.outbox.counts()
        return Model(
            messages: rows, none: rows.isEmpty,
            summary: OutboxState.allCases.map { "\(words.state($0)): \(counts[$0] ?? 0)" }.joined(separator: " · "),
            states: OutboxState.allCases.map { Choice(value: $0.rawValue, label: words.state($0), selected: $0 == q.state) },
            jobs: jobs.map { Choice(value: $0, label: $0, selected: $0 == q.job) },
            channels: ChannelKind.allCases.map { Choice(value: $0.rawValue, label: words.word("channel_\($0.rawValue)"), selected: $0.rawValue == q.channel) },
            customer: q.customer ?? "", from: q.from?.description ?? "", to: q.to?.description ?? "", filters: q.filters,
            back: q.back, backEncoded: q.back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
            next: messages.count == Self.pageSize ? messages.last.map { String($0.id) } : nil)
    }

    func row(_ m: OutboxMessage, name: String) -> Model.Row {
        let v = Verdict(m, words)
        return Model.Row(
            id: String(m.id), state: words.state(m.state), stateCode: m.state.rawValue, job: m.job, customerId: m.customerId ?? "",
            customerName: name, orders: m.orderIds.joined(separator: ", "), channel: m.rendering.channel, attempts: m.attempts,
            at: words.instant(m.sentAt ?? m.nextAttemptAt, clock: clock), meaning: v.meaning, permanent: v.permanent, error: m.lastError ?? "",
            canRetry: v.canRetry, canDrop: v.canDrop, delivery: Self.delivery(m, words: words, clock: clock))
    }

    /// A receipt in words: delivered at…, or not delivered (the provider's own words stay on
    /// the message's page, for the record).
    static func delivery(_ m: OutboxMessage, words: ScheduleWords, clock: ShopClock) -> String? {
        guard let status = m.delivery else { return nil }
        let at: Sentence.Value = m.deliveredAt.map { .at($0, clock) } ?? .text("?")
        return words.say(Sentence(status == .delivered ? "delivery.delivered" : "delivery.undelivered", ["at": at]))
    }

    /// What a message's failure means, and which actions can help it: the list and the
    /// message's page say the same.
    struct Verdict {
        let meaning: String
        let permanent: Bool
        let canRetry: Bool
        let canDrop: Bool

        init(_ m: OutboxMessage, _ words: ScheduleWords) {
            let failure = FailureMeaning.of(m)
            meaning = failure.map { words.say($0.sentence) } ?? ""
            permanent = failure?.permanent ?? false
            // Putting a message back in line helps only where the store allows it and the failure
            // is not one a retry cannot change (a number that is not a phone number stays one).
            canRetry = m.state != .cancelled && OutboxTransition.retryByHand.from.contains(m.state) && !permanent
            canDrop = OutboxTransition.drop.from.contains(m.state)
        }
    }

    /// One message of the outbox with every rendering it may go out in.
    struct MessageModel: PageModel {
        let id: String
        let job: String
        let state: String
        let customerId: String
        let customerName: String
        /// nil when empty: the page leaves the part out instead of showing a label with nothing.
        let orders: String?
        let attempts: Int
        let provider: String?
        let meaning: String
        let permanent: Bool
        /// The provider's raw answer, kept for the record; nil when there is none (an empty
        /// string would still open its section).
        let error: String?
        let canRetry: Bool
        let canDrop: Bool
        let renderings: [MessageView]
        let delivery: String?
        let deliveryReason: String?
        /// Why it left its first channel, in the page's language.
        let fallback: String?
        var confirmDrop: Bool?
        var back: String?

        init(_ m: OutboxMessage, name: String, words: ScheduleWords, clock: ShopClock) {
            let v = Verdict(m, words)
            id = String(m.id)
            job = m.job
            state = words.state(m.state)
            customerId = m.customerId ?? ""
            customerName = name
            orders = m.orderIds.isEmpty ? nil : m.orderIds.joined(separator: ", ")
            attempts = m.attempts
            provider = m.providerMessageId.flatMap { $0.isEmpty ? nil : $0 }
            meaning = v.meaning
            permanent = v.permanent
            error = m.lastError.flatMap { $0.isEmpty ? nil : $0 }
            canRetry = v.canRetry
            canDrop = v.canDrop
            renderings = ([m.rendering] + m.fallbacks).map(MessageView.init)
            delivery = OutboxPage.delivery(m, words: words, clock: clock)
            deliveryReason = m.deliveryReason
            fallback = m.fallbackNote.map { note in Catalogue.recognise(note, families: ["fallback."]).map(words.say) ?? note }
        }
    }
}
