import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation

/// One customer: profile, orders, every past message with its outcome, and every message
/// planned for the coming week with what will not be sent and why.
struct CustomerPage {
    let config: ShopConfig
    let jobs: [JobDefinition]
    let store: any CareStore
    let words: ScheduleWords

    struct Model: PageModel {
        struct Order: Encodable {
            let id: String
            let placed: String
            let amount: String
            let method: String
            let status: String
            let items: String
            let paid: String
            let delivered: String
        }

        struct Message: Encodable {
            let id: String
            let job: String
            let state: String
            let attempts: Int
            let channel: String
            let at: String
            let provider: String
            let error: String
            let orders: String
            /// What the provider said later (a receipt), in words.
            let delivery: String?
        }

        let id: String
        let name: String
        let gender: String
        let phone: String
        let email: String
        let tier: String
        let optOut: String
        let birthday: String
        let zalo: String
        let orders: [Order]
        let messages: [Message]
        /// The opt-out's choices for an editor's form, the current one selected.
        var optOutChoices: [Choice] = []
        /// "Đã lưu: …" after the form.
        var optOutSaved: String?

        struct Choice: Encodable {
            let value: String
            let label: String
            let selected: Bool
        }

        /// What the customer wrote back, newest first (opt-outs marked).
        let replies: [RepliesModel.Reply]
        /// One timeline: what goes out and what does not, in time order.
        let planned: [PlanPage.Row]
        let from: String
        /// The same day as a Vietnamese reader writes it (01/12/2026).
        let fromDate: String
        let days: Int
    }

    /// `parameters`: the span to show (`from`, `days`), the coming week by default; a past span
    /// says what was sent then and why the rest was not.
    func model(id: String, today: LocalDate, now: Date, parameters: [String: String] = [:]) async throws -> Model? {
        guard let (customer, orders) = try await store.customerWithOrders(id: id) else { return nil }
        let clock = config.clock
        let f = customer.facts
        let messages = try await store.outbox.messages(customerId: id, limit: 200)
        var plan = PlanPage.Query(parameters.filter { ["from", "days"].contains($0.key) }, today: today)
        plan.customer = id
        plan.customerIds = [id]
        let page = PlanPage(config: config, jobs: jobs, store: store, words: words)
        let planned = try await page.events(plan)
        let known = try await page.known(planned, now: now)
        var model = Model(
            id: id, name: f.name.full, gender: words.word("gender_\(f.gender.rawValue)"), phone: f.phone ?? "", email: f.email ?? "",
            tier: f.tier ?? "", optOut: words.word("optout_\(customer.optOut.rawValue)"), birthday: Self.dayMonth(customer.birthMonthDay),
            zalo: customer.zaloUserId ?? "",
            orders: orders.map { o in
                Model.Order(id: o.id, placed: words.instant(o.placedAt, clock: clock), amount: VietnameseFormat.money(o.amount),
                            method: words.word("method_\(o.paymentMethod.rawValue)"), status: words.word("status_\(o.status.rawValue)"),
                            items: o.items, paid: o.paidAt.map { words.instant($0, clock: clock) } ?? "",
                            delivered: o.deliveredAt.map { words.instant($0, clock: clock) } ?? "")
            },
            messages: messages.map { m in
                Model.Message(id: String(m.id), job: m.job, state: words.state(m.state), attempts: m.attempts, channel: m.rendering.channel,
                              at: words.instant(m.sentAt ?? m.nextAttemptAt, clock: clock), provider: m.providerMessageId ?? "",
                              error: FailureMeaning.of(m).map { words.say($0.sentence) } ?? m.lastError ?? "",
                              orders: m.orderIds.joined(separator: ", "), delivery: OutboxPage.delivery(m, words: words, clock: clock))
            },
            replies: try await store.replies(customerId: id, limit: 100).map { RepliesModel.Reply($0, words: words, clock: clock) },
            planned: planned.map { page.row($0, known) }, from: plan.from.description, fromDate: VietnameseFormat.date(plan.from), days: plan.days)
        model.optOutChoices = OptOut.allCases.map {
            Model.Choice(value: $0.rawValue, label: words.word("optout_\($0.rawValue)"), selected: $0 == customer.optOut)
        }
        if parameters["done"] == "opt_out" {
            model.optOutSaved = words.say(Sentence("console.opt_out_saved", ["cancelled": .number(Int(parameters["cancelled"] ?? "") ?? 0)]))
        }
        return model
    }

    /// A birthday's "MM-DD" as a Vietnamese reader writes it, day first ("01/12"): "12-01" reads as 12 January.
    static func dayMonth(_ monthDay: String?) -> String {
        guard let parts = monthDay?.split(separator: "-"), parts.count == 2 else { return monthDay ?? "" }
        return "\(parts[1])/\(parts[0])"
    }
}
