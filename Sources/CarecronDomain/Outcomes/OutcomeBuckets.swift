import Foundation

/// How the store sums a report's rows before carecron names their groups (issue 28, item 8): a
/// big shop's report reads a few sums, never its ten million messages. The store keeps the
/// funnel's counts per job, minute due, channel and variant, and the conversions per message;
/// it adds them up by the job, the channel, the variant and this time key.
public enum BucketTime: Sendable, Equatable {
    /// No time: the job, channel or variant is all the grouping needs.
    case none
    /// The day in the shop's time, as days since 1970: the zone's offset (seconds) is the same all over the span.
    case localDay(offset: Int)
    /// The time of day in the shop's time, in minutes since midnight: the offset is fixed over the span.
    case localMinute(offset: Int)
    /// The UTC minute since 1970: a zone whose offset changes within the span is named in Swift, minute by minute.
    case minute

    /// What a grouping needs over [from, to) in the shop's zone.
    public static func of(_ grouping: OutcomeGrouping, from: Date, to: Date, clock: ShopClock) -> BucketTime {
        switch grouping {
        case .job, .channel, .variant, .tier: return .none
        case .day, .week, .slot:
            let offset = clock.zone.secondsFromGMT(for: from)
            let fixed = clock.zone.nextDaylightSavingTimeTransition(after: from).map { $0 >= to } ?? true
                && clock.zone.secondsFromGMT(for: to) == offset
            guard fixed else { return .minute }
            return grouping == .slot ? .localMinute(offset: offset) : .localDay(offset: offset)
        }
    }

    static let century = 86_400 * 36_500

    /// The key's SQL on a column of UTC minutes since 1970 (integer arithmetic, the same on SQLite and PostgreSQL).
    public func sql(minutes column: String) -> String {
        switch self {
        case .none: "0"
        // The division of a negative number rounds toward zero on both: shifted by a century of days
        // first (a literal PostgreSQL reads as a bigint).
        case .localDay(let offset): "((\(column) * 60 + \(offset + Self.century)) / 86400 - 36500)"
        case .localMinute(let offset): "(((\(column) * 60 + \(offset + Self.century)) / 60) % 1440)"
        case .minute: column
        }
    }

    /// The group a bucket's key falls in; nil by job.
    func group(_ grouping: OutcomeGrouping, key: Int64, channel: String, variant: Int?, tier: String?, clock: ShopClock) -> String? {
        func day() -> LocalDate {
            if case .localDay = self { return LocalDate(daysSinceEpoch: Int(key)) }
            return clock.localDate(of: Date(timeIntervalSince1970: TimeInterval(key) * 60))
        }
        switch grouping {
        case .job: return nil
        case .tier: return tier.flatMap { $0.isEmpty ? nil : $0 } ?? OutcomeGrouping.noTier
        case .channel: return channel
        case .variant: return variant.map(OutcomeGrouping.variantName) ?? "variant ?"
        case .day: return day().description
        case .week: return day().mondayOfWeek.description
        case .slot:
            if case .localMinute = self { return TimeOfDay(minutes: Int(key)).description }
            return clock.timeOfDay(of: Date(timeIntervalSince1970: TimeInterval(key) * 60)).description
        }
    }
}

/// One sum the store gives: the funnel's counts and the conversions of the rows due in one
/// bucket of a job, channel, variant and time key.
public struct OutcomeBucket: Sendable, Equatable {
    public var job: String
    public var channel: String
    public var variant: Int?
    public var key: Int64
    /// The customers' tier now, in a report by tier.
    public var tier: String?
    public var planned = 0, sent = 0, delivered = 0, heldOut = 0
    /// Messages sent with a conversion credited, the control group's, the sent messages'
    /// conversions and their đồng.
    public var converted = 0, controlConverted = 0, conversions = 0, revenue = 0

    public init(job: String, channel: String, variant: Int?, key: Int64) {
        self.job = job
        self.channel = channel
        self.variant = variant
        self.key = key
    }
}

extension OutcomeReport {
    /// Per job (and group), in name order, from the store's sums. A conversion falls in its message's group.
    public static func grouped(buckets: [OutcomeBucket], time: BucketTime, by grouping: OutcomeGrouping, clock: ShopClock) -> [JobOutcome] {
        var out: [Key: JobOutcome] = [:]
        for b in buckets {
            let key = Key(job: b.job, group: time.group(grouping, key: b.key, channel: b.channel, variant: b.variant, tier: b.tier, clock: clock))
            var o = out[key] ?? JobOutcome(job: key.job, group: key.group)
            o.planned += b.planned
            o.sent += b.sent
            o.delivered += b.delivered
            o.heldOut += b.heldOut
            o.converted += b.converted
            o.controlConverted += b.controlConverted
            o.conversions += b.conversions
            o.revenue += b.revenue
            out[key] = o
        }
        return out.values.sorted { ($0.job, $0.group ?? "") < ($1.job, $1.group ?? "") }
    }
}
