import Foundation

/// Holiday and offer messages to a segment of customers (DOMAIN.md §8, `003_…txt`): an audience,
/// an occasion (an instant, dates, or a lunar day), a time, a spread over which the sends are
/// paced. Each recipient gets it once per occasion (`campaign:NAME:DATE:CUSTOMER`), whatever
/// happens to the service or to the job file meanwhile. Under the advertising cap a campaign
/// gives way to every other advertising message within 24 h (a birthday greeting keeps its day).
public struct CampaignRules: JobRules, AudienceSending {
    public static let type = JobType(rawValue: "campaign")

    public var audience: AudienceFilter
    public var when: CampaignWhen
    /// Over how long the sends of one occasion are spread evenly (0: all at its time).
    public var spread: TimeSpan
    /// How late a message may still go out after the occasion's time (the service was down);
    /// nil: until the end of that day. Never the next day.
    public var lateness: TimeSpan?
    /// Where the file gave them ("rules." or ""), for `validate`'s paths.
    var prefix = "rules."

    public init(audience: AudienceFilter, when: CampaignWhen, spread: TimeSpan = .seconds(0), lateness: TimeSpan? = nil) {
        self.audience = audience
        self.when = when
        self.spread = spread
        self.lateness = lateness
    }

    // MARK: - The job file

    /// `audience`, `when`, `spread` and `lateness` are read from `rules`, or from the job's top
    /// level (not both).
    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? {
        func field(_ key: String, required: Bool = false) -> Field? {
            let inRules = r?.optional(key), top = job.optional(key)
            if inRules != nil, top != nil { job.field.child(key, .null).report(Sentence("check.given_twice", ["key": .text(key)])) }
            if required, inRules == nil, top == nil { (r?.field ?? job.field).report(Sentence("check.missing_when", ["key": .text(key)])) }
            return inRules ?? top
        }
        let audience = field("audience").map { parseAudience($0, shop: shop) } ?? AudienceFilter()
        let when = field("when", required: true).flatMap { parseWhen($0, shop: shop) }
        let spread = field("spread").map { $0.timeSpan } ?? .seconds(0)
        let lateness = field("lateness").map { $0.timeSpan }
        guard let audience, let when, let spread, lateness != .some(nil) else { return nil }
        var rules = Self(audience: audience, when: when, spread: spread, lateness: lateness.flatMap { $0 })
        rules.prefix = r?.keys.contains("when") == true ? "rules." : ""
        return rules
    }

    static func parseAudience(_ f: Field, shop: CarePolicy) -> AudienceFilter? {
        guard let o = f.object else { return nil }
        var a = AudienceFilter()
        let before = f.sink.items.count
        if let t = o.optional("tiers") {
            a.tiers = strings(t)
            let names = shop.tiers.map(\.name)
            for (name, item) in zip(a.tiers ?? [], t.array ?? []) where !names.contains(name) {
                let hint = Suggest.closest(to: name, among: names).map { " (did you mean \($0)?)" } ?? ""
                item.report(names.isEmpty ? "config.json has no \"tiers\"" : "\"\(name)\" is not a tier of config.json: \(names.joined(separator: ", "))\(hint)")
            }
        }
        a.spentAtLeast = o.optional("spentAtLeast")?.int(0...Int.max / 2)
        a.spentBelow = o.optional("spentBelow")?.int(1...Int.max / 2)
        a.ordersAtLeast = o.optional("ordersAtLeast")?.int(0...1_000_000)
        a.within = o.optional("within")?.timeSpan
        a.lastOrderWithin = o.optional("lastOrderWithin")?.timeSpan
        a.lastOrderBefore = o.optional("lastOrderBefore")?.timeSpan
        if let b = o.optional("birthdayMonth") { a.birthdayMonths = ints(b, 1...12) }
        if let g = o.optional("gender") { a.genders = oneOrMany(g).map { $0.compactMap { $0.oneOf(Gender.self) } } }
        if let c = o.optional("hasChannel") { a.hasChannels = oneOrMany(c).map { $0.compactMap { $0.oneOf(ChannelKind.self) } } }
        if let c = o.optional("customers") { a.customerIds = customerIds(c) }
        if a.within != nil, a.spentAtLeast == nil, a.spentBelow == nil, a.ordersAtLeast == nil {
            o.field.child("within", .null).report(Sentence("check.within_alone"))
        }
        if let low = a.spentAtLeast, let high = a.spentBelow, high <= low {
            o.field.child("spentBelow", .null).report(Sentence("check.spent_below_low", ["low": .text(String(low))]))
        }
        o.finish()
        return f.sink.items.count == before ? a : nil
    }

    static func oneOrMany(_ f: Field) -> [Field]? {
        if case .array = f.value { return f.array }
        return [f]
    }

    static func strings(_ f: Field) -> [String]? {
        guard let list = oneOrMany(f) else { return nil }
        let out = list.compactMap(\.nonEmptyString)
        return out.count == list.count ? out : nil
    }

    static func ints(_ f: Field, _ range: ClosedRange<Int>) -> [Int]? {
        guard let list = oneOrMany(f) else { return nil }
        let out = list.compactMap { $0.int(range) }
        return out.count == list.count ? out : nil
    }

    /// A list of ids, or `{"file": "segment.txt"}`: one id a line (blank lines, `#` comments and
    /// an `id` header skipped), the path relative to config.json.
    static func customerIds(_ f: Field) -> [String]? {
        if case .array = f.value { return strings(f) }
        guard let o = f.object else { return nil }
        let path = o.required("file")?.nonEmptyString
        o.finish()
        guard let path else { return nil }
        guard let read = f.sink.readText else { return f.fail(Sentence("check.ids_unreadable_here")) }
        do {
            let ids = try read(path).split(whereSeparator: \.isNewline)
                .map { $0.split(separator: ",").first.map { String($0).trimmedSpaces } ?? "" }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") && $0.lowercased() != "id" }
            if ids.isEmpty { return f.fail(Sentence("check.ids_empty", ["path": .text(path)])) }
            return ids
        } catch {
            return f.fail(Sentence("check.ids_unreadable", ["path": .text(path), "error": .text("\(error)")]))
        }
    }

    static func parseWhen(_ f: Field, shop: CarePolicy) -> CampaignWhen? {
        guard let o = f.object else { return nil }
        let before = f.sink.items.count
        var occasions: [CampaignWhen.Occasion] = []
        var time = o.optional("time")?.timeOfDay
        let given = ["at", "dates", "lunar"].filter { o.keys.contains($0) }
        if given.count != 1 {
            f.report(given.isEmpty ? "say when: one of \"at\" (an instant), \"dates\" (a list) or \"lunar\" ({\"month\": 1, \"day\": 1})"
                                   : "give one of \(given.joined(separator: ", ")), not several")
        }
        if let at = o.optional("at"), let text = at.nonEmptyString {
            if let instant = InstantFormat.parse(text, clock: shop.clock) {
                occasions.append(.once(shop.clock.localDate(of: instant)))
                if time != nil { o.field.child("time", .null).report(Sentence("check.at_has_time")) }
                time = shop.clock.timeOfDay(of: instant)
            } else {
                at.report(Sentence("check.not_instant", ["value": .text(text)]))
            }
        }
        if let dates = o.optional("dates"), let list = dates.array {
            if list.isEmpty { dates.report(Sentence("check.no_date")) }
            for item in list {
                guard let text = item.nonEmptyString else { continue }
                if let d = LocalDate(iso: text) {
                    occasions.append(.once(d))
                } else if let md = text.wholeMatch(of: /([0-9][0-9])-([0-9][0-9])/), let m = Int(md.1), let d = Int(md.2),
                          (1...12).contains(m), (1...LocalDate.daysIn(month: m, year: 2024)).contains(d) {
                    occasions.append(.yearly(month: m, day: d))
                } else {
                    item.report(Sentence("check.not_date", ["value": .text(text)]))
                }
            }
        }
        if let lunar = o.optional("lunar"), let l = lunar.object {
            let month = l.required("month")?.int(1...12), day = l.required("day")?.int(1...30)
            let leap = l.optional("leap")?.bool ?? false
            l.finish()
            if let month, let day { occasions.append(.lunar(month: month, day: day, leap: leap)) }
        }
        let offset = o.optional("offsetDays")?.int(-60...60) ?? 0
        if !o.keys.contains("at"), time == nil, !o.keys.contains("time") { f.report(Sentence("check.missing_time")) }
        o.finish()
        guard f.sink.items.count == before, let time, !occasions.isEmpty else { return nil }
        return CampaignWhen(occasions: occasions, time: time, offsetDays: offset)
    }

    public func check(_ job: JobDefinition, shop: CarePolicy, sink: DiagnosticSink) {
        if shop.quietHours.contains(when.time) {
            sink.error("\(prefix)when.time", Sentence("check.time_quiet", ["time": .text("\(when.time)"), "quiet": .text("\(shop.quietHours)")]))
        } else if job.purpose == .marketing, !shop.marketingHours.contains(when.time) {
            sink.error("\(prefix)when.time", Sentence("check.time_ad_hours", ["time": .text("\(when.time)"), "hours": .text("\(shop.marketingHours)")]))
        }
        // Every minute the spread covers must be one a message may go out in, on the occasion's own
        // day: past midnight they would be dropped as too late (issue 24: 253 of 275 quietly not sent).
        let endMinute = when.time.minutes + spread.seconds / 60
        // [start, end): the last message of a spread goes out before its end.
        let covered = (when.time.minutes...max(when.time.minutes, min(endMinute - 1, 1439))).map { TimeOfDay(minutes: $0) }
        let end = TimeOfDay(minutes: endMinute % 1440)
        if spread.seconds > 0, endMinute > 1440 {
            sink.error("\(prefix)spread", Sentence("check.spread_midnight", ["time": .text("\(when.time)"), "spread": .span(spread)]))
        } else if spread.seconds > 0, job.purpose == .marketing, let t = covered.first(where: { !shop.marketingHours.contains($0) }) {
            sink.error("\(prefix)spread", Sentence("check.spread_ad_hours", ["time": .text("\(when.time)"), "spread": .span(spread), "end": .text("\(end)"),
                                                                       "hours": .text("\(shop.marketingHours)"), "from": .text("\(t)")]))
        } else if spread.seconds > 0, let t = covered.first(where: shop.quietHours.contains) {
            sink.error("\(prefix)spread", Sentence("check.spread_quiet", ["time": .text("\(when.time)"), "spread": .span(spread), "end": .text("\(end)"),
                                                                    "quiet": .text("\(shop.quietHours)"), "at": .text("\(t)")]))
        }
        if job.purpose == .transactional {
            sink.error("purpose", Sentence("check.campaign_purpose"))
        }
        if !job.templates.contains(where: { $0.tiers == nil && $0.minTier == nil }) {
            sink.warning("templates", Sentence("check.tiers_only"))
        }
    }

    // MARK: - Planning

    public var waitsForMarketingCap: Bool { false }
    /// Its occasions are found from the span's own start (the day before it included).
    public func replay(_ job: JobDefinition, shop: CarePolicy) -> TimeInterval { 0 }
    /// Other advertising up to 24 h after a campaign's message decides whether it goes out.
    public var lookahead: TimeInterval { spread.interval + 86_400 }

    /// Its occasions whose sending window [start, deadline] meets [from, to).
    public func occurrences(_ job: JobDefinition, from: Date, to: Date, clock: ShopClock) -> [CampaignOccurrence] {
        when.occurrences(sendingFrom: clock.localDate(of: from).adding(days: -1), through: clock.localDate(of: to)).compactMap { o in
            let start = clock.instant(of: o.sendDay, when.time)
            let endOfDay = clock.startOfDay(o.sendDay.adding(days: 1)).addingTimeInterval(-1)
            let deadline = min(endOfDay, lateness.map { start.addingTimeInterval(spread.interval + $0.interval) } ?? endOfDay)
            guard deadline >= from, start < to else { return nil }
            return CampaignOccurrence(job: job.name, occasion: o.occasion, start: start, deadline: deadline)
        }
    }

    public func audiences(_ job: JobDefinition, from: Date, to: Date, shop: CarePolicy) -> [AudienceRequest] {
        occurrences(job, from: from, to: to, clock: shop.clock).map {
            AudienceRequest(key: $0.id, filter: audience, at: $0.start, purpose: job.purpose, entryTier: shop.tier(forSpend: 0)?.name)
        }
    }

    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        occurrences(job, from: span.from, to: span.to, clock: span.policy.clock).flatMap { o -> [PlannedEvent] in
            guard let members = span.input.audiences[o.id] else { return [] }
            if let halt = span.input.haltedCampaigns[o.id] {
                for customer in members {
                    span.skip(job, customerId: customer.id, orders: [], at: o.start, Sentence(halt == .paused ? "skip.campaign_paused" : "skip.campaign_cancelled"))
                }
                return []
            }
            let base = span.downtime.resume(at: o.start)
            return events(job, o, base: base, total: members.count, firstIndex: 0, members: members, span: span)
        }
    }

    /// The messages of one page of an occurrence's audience (members in id order, the first
    /// being the `firstIndex`-th of `total`), each at its slot of the spread from `base`, in
    /// its tier's variant; what cannot go out is recorded as skipped.
    public func events(_ job: JobDefinition, _ o: CampaignOccurrence, base: Date, total: Int, firstIndex: Int,
                members: [CustomerSnapshot], span: PlanningSpan) -> [PlannedEvent] {
        let policy = span.policy
        var out: [PlannedEvent] = []
        out.reserveCapacity(members.count)
        for (i, customer) in members.enumerated() where span.reaches(customer, job, customerId: customer.id, orders: [], at: base) {
            let at = slot(index: firstIndex + i, total: total, base: base)
            guard let due = span.deliverable(job, at: at, customerId: customer.id, orders: []) else { continue }
            guard due <= o.deadline else {
                span.skip(job, customerId: customer.id, orders: [], at: due,
                          Sentence("skip.campaign_too_late", ["at": .at(o.deadline, policy.clock)]))
                continue
            }
            let tier = policy.tier(named: customer.facts.tier) ?? policy.tier(forSpend: 0)
            guard let variant = Self.variant(job, tier: tier, policy: policy) else {
                span.skip(job, customerId: customer.id, orders: [], at: due, Sentence("skip.no_variant_for_tier", ["tier": tier.map { .text($0.name) } ?? .word("tier.none")]))
                continue
            }
            var e = span.planner.event(job, customer: customer, orders: [], at: due, tier: tier, variant: variant, keys: [o.key(customer.id)])
            e.campaign = o.id
            e.expiresAt = o.deadline
            out.append(e)
        }
        return out
    }

    /// The n-th of `total` sends, spread evenly from `base` (late joiners at the spread's end).
    public func slot(index: Int, total: Int, base: Date) -> Date {
        guard spread.seconds > 0, total > 0 else { return base }
        let n = min(index, total)
        return base.addingTimeInterval((spread.interval * Double(n) / Double(total)).rounded(.down))
    }

    /// The first variant whose tier conditions the customer's tier meets.
    public static func variant(_ job: JobDefinition, tier: Tier?, policy: CarePolicy) -> Int? {
        job.templates.firstIndex { v in
            if let tiers = v.tiers, !tiers.contains(tier?.name ?? "") { return false }
            if let minTier = v.minTier, let floor = policy.tier(named: minTier), (tier?.minSpend ?? 0) < floor.minSpend { return false }
            return true
        }
    }

    public func runs(_ job: JobDefinition, after: Date, count: Int, clock: ShopClock) -> [Date] {
        when.firings(after: after, count: count, clock: clock)
    }

    public func timing(_ job: JobDefinition) -> String {
        when.description + (spread.seconds > 0 ? ", spread over \(spread)" : "")
    }
}

/// One occasion of a campaign: what its messages' keys and the outbox's `campaign` column name.
public struct CampaignOccurrence: Sendable, Equatable {
    public let job: String
    /// The occasion's own day (Tết, not the day three days before it): the keys do not change
    /// when the time or the offset is edited.
    public let occasion: LocalDate
    /// The first sending instant.
    public let start: Date
    /// The last instant a message may go out.
    public let deadline: Date

    public init(job: String, occasion: LocalDate, start: Date, deadline: Date) {
        self.job = job
        self.occasion = occasion
        self.start = start
        self.deadline = deadline
    }

    /// "tet-greeting:2027-02-06".
    public var id: String { "\(job):\(occasion)" }

    /// The outbox key of its message to one customer.
    public func key(_ customerId: String) -> String { "campaign:\(job):\(occasion):\(customerId)" }
}

extension JobType {
    public static let campaign = CampaignRules.type
}
