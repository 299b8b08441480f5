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

    func model(id: String, today: LocalDate) async throws -> [String: Any]? {
        guard let (customer, orders) = try await store.customerWithOrders(id: id) else { return nil }
        let clock = config.clock
        let f = customer.facts
        let messages = try await store.outbox.messages(customerId: id, limit: 200)
        var plan = PlanPage.Query([:], today: today)
        plan.customer = id
        let page = PlanPage(config: config, jobs: jobs, store: store)
        let planned = try await page.events(plan)
        return [
            "id": id, "name": f.name.full, "gender": words.word("gender_\(f.gender.rawValue)"), "phone": f.phone ?? "", "email": f.email ?? "",
            "tier": f.tier ?? "", "optOut": words.word("optout_\(customer.optOut.rawValue)"), "birthday": customer.birthMonthDay ?? "",
            "zalo": customer.zaloUserId ?? "",
            "orders": orders.map { o in
                [
                    "id": o.id, "placed": words.instant(o.placedAt, clock: clock), "amount": VietnameseFormat.money(o.amount),
                    "method": words.word("method_\(o.paymentMethod.rawValue)"), "status": words.word("status_\(o.status.rawValue)"), "items": o.items,
                    "paid": o.paidAt.map { words.instant($0, clock: clock) } ?? "", "delivered": o.deliveredAt.map { words.instant($0, clock: clock) } ?? "",
                ] as [String: Any]
            },
            "messages": messages.map { m in
                [
                    "id": String(m.id), "job": m.job, "state": words.state(m.state), "attempts": m.attempts, "channel": m.rendering.channel,
                    "at": words.instant(m.sentAt ?? m.nextAttemptAt, clock: clock), "provider": m.providerMessageId ?? "",
                    "error": m.lastError ?? "", "orders": m.orderIds.joined(separator: ", "),
                ] as [String: Any]
            },
            // One timeline: what goes out and what does not, in time order.
            "planned": planned.map(page.row),
            "from": plan.from.description, "days": plan.days,
        ]
    }
}
