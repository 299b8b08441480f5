import CarecronConfig
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
        /// One timeline: what goes out and what does not, in time order.
        let planned: [PlanPage.Row]
        let from: String
        /// The same day as a Vietnamese reader writes it (01/12/2026).
        let fromDate: String
        let days: Int
    }

    func model(id: String, today: LocalDate) async throws -> Model? {
        guard let (customer, orders) = try await store.customerWithOrders(id: id) else { return nil }
        let clock = config.clock
        let f = customer.facts
        let messages = try await store.outbox.messages(customerId: id, limit: 200)
        var plan = PlanPage.Query([:], today: today)
        plan.customer = id
        let page = PlanPage(config: config, jobs: jobs, store: store)
        let planned = try await page.events(plan)
        return Model(
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
                              error: m.lastError ?? "", orders: m.orderIds.joined(separator: ", "))
            },
            planned: planned.map(page.row), from: plan.from.description, fromDate: VietnameseFormat.date(plan.from), days: plan.days)
    }

    /// A birthday's "MM-DD" as a Vietnamese reader writes it, day first ("01/12"): "12-01" reads as 12 January.
    static func dayMonth(_ monthDay: String?) -> String {
        guard let parts = monthDay?.split(separator: "-"), parts.count == 2 else { return monthDay ?? "" }
        return "\(parts[1])/\(parts[0])"
    }
}
