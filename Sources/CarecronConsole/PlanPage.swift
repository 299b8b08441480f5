import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation

/// The plan: every message of the coming days by day and hour, and every candidate not sent
/// with its reason; the same planner as `simulate --explain`, over the live store.
struct PlanPage {
    struct Query {
        var from: LocalDate
        var days = 7
        var job: String?
        var channel: String?
        var customer: String?
        var order: String?

        init(_ parameters: [String: String], today: LocalDate) {
            from = parameters["from"].flatMap { LocalDate(iso: $0) } ?? today
            days = parameters["days"].flatMap { Int($0) }.map { min(max($0, 1), 31) } ?? 7
            func given(_ key: String) -> String? { parameters[key].flatMap { $0.isEmpty ? nil : $0 } }
            job = given("job")
            channel = given("channel")
            customer = given("customer")
            order = given("order")
        }

        func keeps(_ e: PlannedEvent) -> Bool {
            (job == nil || e.job == job) && (channel == nil || e.channel?.rawValue == channel || e.kind != .message)
                && (customer == nil || e.customerId == customer) && (order == nil || e.orderIds.contains(order!))
        }
    }

    let config: ShopConfig
    let jobs: [JobDefinition]
    let store: any CareStore

    /// The events of the span, explained, filtered by the query.
    func events(_ q: Query) async throws -> [PlannedEvent] {
        let clock = config.clock
        let from = clock.startOfDay(q.from), to = clock.startOfDay(q.from.adding(days: q.days))
        var planner = CarePlanner(policy: config.policy, jobs: jobs)
        planner.explain = true
        let input = try await store.planningInput(for: planner, from: from, to: to)
        return planner.plan(input, from: from, to: to).filter(q.keeps)
    }

    func model(_ q: Query) async throws -> [String: Any] {
        let events = try await events(q)
        let clock = config.clock
        let sent = events.filter { $0.kind != .skip }
        // A big shop plans thousands a day: the page shows the first of each day (all of them
        // for one day, up to a limit) with the counts, and links to the rest.
        let perDay = q.days == 1 ? 400 : 40
        var days: [[String: Any]] = []
        for (day, ofDay) in Dictionary(grouping: sent, by: { clock.localDate(of: $0.at) }).sorted(by: { $0.key < $1.key }) {
            let shown = ofDay.prefix(perDay)
            let hours = Dictionary(grouping: shown, by: { clock.timeOfDay(of: $0.at).hour }).sorted { $0.key < $1.key }.map { hour, list in
                ["hour": String(format: "%02d:00", hour), "rows": list.map(row)] as [String: Any]
            }
            var d: [String: Any] = ["day": VietnameseFormat.date(day), "iso": day.description, "count": ofDay.count, "hours": hours]
            if ofDay.count > shown.count { d["hidden"] = ofDay.count - shown.count }
            days.append(d)
        }
        let skips = events.filter { $0.kind == .skip }
        let shownSkips = skips.prefix(q.days == 1 ? 300 : 100)
        var counts: [String: Int] = [:]
        for e in sent where e.kind == .message { counts["\(e.job)|\(e.channel?.rawValue ?? "-")", default: 0] += 1 }
        let smsSegments = sent.reduce(0) { $0 + (segments($1)?.segments ?? 0) }
        return [
            "from": q.from.description, "days": q.days, "to": q.from.adding(days: q.days - 1).description,
            "job": q.job ?? "", "channel": q.channel ?? "", "customer": q.customer ?? "", "order": q.order ?? "",
            "jobs": jobs.map { ["name": $0.name, "selected": $0.name == q.job] as [String: Any] },
            "channels": ChannelKind.allCases.map { ["name": $0.rawValue, "selected": $0.rawValue == q.channel] as [String: Any] },
            "planDays": days,
            "messageCount": sent.filter { $0.kind == .message }.count,
            "expiryCount": sent.filter { $0.kind == .expire }.count,
            "smsSegments": smsSegments,
            "counts": counts.sorted { $0.key < $1.key }.map { key, n in
                let parts = key.split(separator: "|").map(String.init)
                return ["job": parts[0], "channel": parts[1], "count": n] as [String: Any]
            },
            "skips": shownSkips.map(row),
            "skipCount": skips.count,
        ].merging(skips.count > shownSkips.count ? ["hiddenSkips": skips.count - shownSkips.count] : [:]) { a, _ in a }
    }

    /// One planned message (found by its occurrence keys) on every channel of its job that
    /// reaches the customer: the first, then the fallbacks in order.
    func message(key: String, _ q: Query) async throws -> [String: Any]? {
        let clock = config.clock
        let from = clock.startOfDay(q.from), to = clock.startOfDay(q.from.adding(days: q.days))
        var planner = CarePlanner(policy: config.policy, jobs: jobs)
        planner.renderFallbacks = true
        let input = try await store.planningInput(for: planner, from: from, to: to)
        guard let e = planner.plan(input, from: from, to: to).first(where: { $0.keys.joined(separator: "+") == key }),
              let channel = e.channel, let to = e.to, let text = e.text else { return nil }
        let first = Rendering(channel: channel.rawValue, to: to, subject: e.subject, text: text, params: e.params, templateId: e.templateId, html: e.html)
        var model = row(e)
        model["renderings"] = ([first] + e.fallbacks).map(MessageView.model)
        return model
    }

    func segments(_ e: PlannedEvent) -> (encoding: MessageRules.SMSEncoding, segments: Int)? {
        guard e.channel == .sms, let text = e.text else { return nil }
        return MessageRules.smsSegments(text)
    }

    func row(_ e: PlannedEvent) -> [String: Any] {
        var r: [String: Any] = [
            "time": config.clock.timeOfDay(of: e.at).description,
            "date": VietnameseFormat.date(config.clock.localDate(of: e.at)),
            "job": e.job, "kind": e.kind.rawValue, "expire": e.kind == .expire,
            "customerId": e.customerId, "orders": e.orderIds.joined(separator: ", "),
        ]
        if let n = e.reminder { r["reminder"] = n }
        if !e.keys.isEmpty { r["key"] = e.keys.joined(separator: "+") }
        if let c = e.channel { r["channel"] = c.rawValue }
        if let s = e.subject { r["subject"] = s }
        if let t = e.text { r["text"] = t }
        if let reason = e.reason { r["reason"] = reason }
        if e.overdue { r["overdue"] = true }
        if let p = e.problem, e.reason == nil { r["problem"] = p }
        if let seg = segments(e) { r["segments"] = "\(seg.segments) × \(seg.encoding.rawValue)" }
        return r
    }
}
