import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation
import Mustache

/// The plan: every message of the coming days by day and hour, and every candidate not sent
/// with its reason; the same planner as `simulate --explain`, over the live store.
struct PlanPage {
    struct Query {
        var from: LocalDate
        var days = 7
        var job: String?
        var channel: String?
        /// What was typed in the customer filter, and the customers it found (a name can match several).
        var customer: String?
        var customerIds: Set<String>?
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
                && (customerIds == nil || customerIds!.contains(e.customerId)) && (order == nil || e.orderIds.contains(order!))
        }

        /// The customer filter read the way a person types it (an id, a phone, a name without accents).
        mutating func findCustomers(in store: any CareStore) async throws {
            guard let customer else { return }
            customerIds = Set(try await store.searchCustomers(customer, limit: 50).map(\.id))
        }
    }

    let config: ShopConfig
    let jobs: [JobDefinition]
    let store: any CareStore
    let words: ScheduleWords

    /// The events of the span, explained, filtered by the query.
    func events(_ q: Query) async throws -> [PlannedEvent] {
        let clock = config.clock
        let from = clock.startOfDay(q.from), to = clock.startOfDay(q.from.adding(days: q.days))
        var planner = CarePlanner(policy: config.policy, jobs: jobs)
        planner.explain = true
        let input = try await store.planningInput(for: planner, from: from, to: to)
        return planner.plan(input, from: from, to: to).filter(q.keeps)
    }

    struct Model: PageModel {
        struct Choice: Encodable {
            let name: String
            let selected: Bool
        }

        struct Hour: Encodable {
            let hour: String
            let rows: [Row]
        }

        struct Day: Encodable {
            let day: String
            let iso: String
            let count: Int
            let hours: [Hour]
            var hidden: Int?
        }

        struct Count: Encodable {
            let job: String
            let channel: String
            let count: Int
        }

        let from: String
        let days: Int
        let to: String
        /// The span as a Vietnamese reader writes it (01/12/2026).
        let fromDate: String
        let toDate: String
        let job: String
        let channel: String
        let customer: String
        let order: String
        let jobs: [Choice]
        let channels: [Choice]
        let planDays: [Day]
        let messageCount: Int
        let expiryCount: Int
        let smsSegments: Int
        let counts: [Count]
        let skips: [Row]
        let skipCount: Int
        var hiddenSkips: Int?
    }

    /// One event of the plan, sent or not.
    struct Row: Encodable {
        let time: String
        let date: String
        let job: String
        let kind: String
        let expire: Bool
        let customerId: String
        var customerName: String?
        let orders: String
        var reminder: Int?
        var key: String?
        var channel: String?
        var subject: String?
        var text: String?
        var reason: String?
        /// The channel after this one if no receipt says delivered in time.
        var fallback: String?
        var overdue: Bool?
        var problem: String?
        var segments: String?
        /// What already happened to it: its message in the outbox and that message's state.
        var outboxId: String?
        var happened: String?
        var happenedCode: String?
        var happenedSent: Bool?
        /// A past message the outbox never had (the service was not running, or the data came later).
        var neverPlanned: Bool?
    }

    /// A planned message with every rendering it may go out in: the row's names and `renderings`.
    struct MessageModel: PageModel, MustacheParent {
        let row: Row
        let renderings: [MessageView]

        func child(named name: String) -> Any? {
            name == "renderings" ? renderings : PageFrameLookup.property(name, of: row)
        }
    }

    /// What the page knows beside the plan: the customers' names and what the outbox already did
    /// with each shown event (sent, failed, waiting), as of `now`.
    struct Known {
        var names: [String: String] = [:]
        var planned: [String: PlannedMessageState] = [:]
        var now: Date?
    }

    func known(_ shown: [PlannedEvent], now: Date) async throws -> Known {
        let names = try await store.customerNames(Array(Set(shown.map(\.customerId))))
        // Campaigns are written ahead of their time: every shown key is asked about, not only past ones.
        return Known(names: names, planned: try await store.outbox.planned(keys: shown.compactMap(\.keys.first)), now: now)
    }

    func model(_ q: Query, now: Date) async throws -> Model {
        let events = try await events(q)
        let clock = config.clock
        let sent = events.filter { $0.kind != .skip }
        // A big shop plans thousands a day: the page shows the first of each day (all of them
        // for one day, up to a limit) with the counts, and links to the rest.
        let perDay = q.days == 1 ? 400 : 40
        let grouped = Dictionary(grouping: sent, by: { clock.localDate(of: $0.at) }).sorted(by: { $0.key < $1.key })
        let skips = events.filter { $0.kind == .skip }
        let shownSkips = skips.prefix(q.days == 1 ? 300 : 100)
        let known = try await known(grouped.flatMap { $0.value.prefix(perDay) } + shownSkips, now: now)
        var days: [Model.Day] = []
        for (day, ofDay) in grouped {
            let shown = ofDay.prefix(perDay)
            let hours = Dictionary(grouping: shown, by: { clock.timeOfDay(of: $0.at).hour }).sorted { $0.key < $1.key }.map { hour, list in
                Model.Hour(hour: String(format: "%02d:00", hour), rows: list.map { row($0, known) })
            }
            days.append(Model.Day(day: VietnameseFormat.date(day), iso: day.description, count: ofDay.count, hours: hours,
                                  hidden: ofDay.count > shown.count ? ofDay.count - shown.count : nil))
        }
        var counts: [String: Int] = [:]
        for e in sent where e.kind == .message { counts["\(e.job)|\(e.channel?.rawValue ?? "-")", default: 0] += 1 }
        let smsSegments = sent.reduce(0) { $0 + (segments($1)?.segments ?? 0) }
        return Model(
            from: q.from.description, days: q.days, to: q.from.adding(days: q.days - 1).description,
            fromDate: VietnameseFormat.date(q.from), toDate: VietnameseFormat.date(q.from.adding(days: q.days - 1)),
            job: q.job ?? "", channel: q.channel ?? "", customer: q.customer ?? "", order: q.order ?? "",
            jobs: jobs.map { Model.Choice(name: $0.name, selected: $0.name == q.job) },
            channels: ChannelKind.allCases.map { Model.Choice(name: $0.rawValue, selected: $0.rawValue == q.channel) },
            planDays: days,
            messageCount: sent.filter { $0.kind == .message }.count,
            expiryCount: sent.filter { $0.kind == .expire }.count,
            smsSegments: smsSegments,
            counts: counts.sorted { $0.key < $1.key }.map { key, n in
                let parts = key.split(separator: "|").map(String.init)
                return Model.Count(job: parts[0], channel: parts[1], count: n)
            },
            skips: shownSkips.map { row($0, known) },
            skipCount: skips.count,
            hiddenSkips: skips.count > shownSkips.count ? skips.count - shownSkips.count : nil)
    }

    /// One planned message (found by its occurrence keys) on every channel of its job that
    /// reaches the customer: the first, then the fallbacks in order.
    func message(key: String, _ q: Query) async throws -> MessageModel? {
        let clock = config.clock
        let from = clock.startOfDay(q.from), to = clock.startOfDay(q.from.adding(days: q.days))
        var planner = CarePlanner(policy: config.policy, jobs: jobs)
        planner.renderFallbacks = true
        let input = try await store.planningInput(for: planner, from: from, to: to)
        guard let e = planner.plan(input, from: from, to: to).first(where: { $0.keys.joined(separator: "+") == key }),
              let channel = e.channel, let to = e.to, let text = e.text else { return nil }
        let first = Rendering(channel: channel.rawValue, to: to, subject: e.subject, text: text, params: e.params, templateId: e.templateId, html: e.html)
        return MessageModel(row: row(e), renderings: ([first] + e.fallbacks).map(MessageView.init))
    }

    func segments(_ e: PlannedEvent) -> (encoding: MessageRules.SMSEncoding, segments: Int)? {
        guard e.channel == .sms, let text = e.text else { return nil }
        return MessageRules.smsSegments(text)
    }

    /// How long after its time a message may still be on its way into the outbox (the service's
    /// step runs every minute) before the plan says the outbox never had it.
    static let stepGrace: TimeInterval = 300

    func row(_ e: PlannedEvent, _ known: Known = Known()) -> Row {
        var r = Row(time: config.clock.timeOfDay(of: e.at).description, date: VietnameseFormat.date(config.clock.localDate(of: e.at)),
                    job: e.job, kind: e.kind.rawValue, expire: e.kind == .expire,
                    customerId: e.customerId, orders: e.orderIds.joined(separator: ", "))
        r.reminder = e.reminder
        if !e.keys.isEmpty { r.key = e.keys.joined(separator: "+") }
        r.channel = e.channel?.rawValue
        r.subject = e.subject
        r.text = e.text
        r.reason = e.because.map(words.say)
        r.fallback = e.fallbackNote.map(words.say)
        if e.overdue { r.overdue = true }
        if let p = e.problem, e.reason == nil { r.problem = p }
        if let seg = segments(e) { r.segments = "\(seg.segments) × \(seg.encoding.rawValue)" }
        r.customerName = known.names[e.customerId]
        if let key = e.keys.first, let m = known.planned[key] {
            r.outboxId = String(m.id)
            r.happened = words.state(m.state)
            r.happenedCode = m.state.rawValue
            if m.state == .sent { r.happenedSent = true }
        } else if e.kind == .message, let now = known.now, e.at < now.addingTimeInterval(-Self.stepGrace) {
            r.neverPlanned = true
        }
        return r
    }
}
