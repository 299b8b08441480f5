import Foundation

/// One window of the day for payment reminders (DOMAIN.md §1): orders placed in `span` are
/// first reminded at `remindAt`, and never later than `deadline` if one is set.
public struct PaymentWindow: Hashable, Sendable {
    public let name: String
    public let span: DailySpan
    public let remindAt: TimeOfDay
    /// The afternoon's dispatch (16:30) or the evening's 20:00: a reminder that would fall after
    /// it moves to the next slot of any window.
    public let deadline: TimeOfDay?

    public init(name: String, span: DailySpan, remindAt: TimeOfDay, deadline: TimeOfDay? = nil) {
        self.name = name
        self.span = span
        self.remindAt = remindAt
        self.deadline = deadline
    }
}

/// The payment-reminder rule of DOMAIN.md §1, every number configurable. Pure: it takes
/// instants and a `ShopClock` and returns instants.
public struct PaymentReminderPolicy: Sendable {
    public var windows: [PaymentWindow]
    public var minAge: TimeSpan
    public var maxReminders: Int
    public var minGap: TimeSpan
    public var lateness: TimeSpan
    public var expiresAfter: TimeSpan

    public init(windows: [PaymentWindow] = PaymentReminderPolicy.handbookWindows,
                minAge: TimeSpan = .minutes(10), maxReminders: Int = 2, minGap: TimeSpan = .hours(3),
                lateness: TimeSpan = .minutes(60), expiresAfter: TimeSpan = .hours(24)) {
        self.windows = windows
        self.minAge = minAge
        self.maxReminders = maxReminders
        self.minGap = minGap
        self.lateness = lateness
        self.expiresAfter = expiresAfter
    }

    /// The four windows of the handbook, the shipped defaults.
    public static let handbookWindows: [PaymentWindow] = [
        PaymentWindow(name: "morning", span: DailySpan(from: TimeOfDay(hour: 5), to: TimeOfDay(hour: 11, minute: 30)),
                      remindAt: TimeOfDay(hour: 12)),
        PaymentWindow(name: "afternoon", span: DailySpan(from: TimeOfDay(hour: 11, minute: 30), to: TimeOfDay(hour: 16)),
                      remindAt: TimeOfDay(hour: 16), deadline: TimeOfDay(hour: 16, minute: 30)),
        PaymentWindow(name: "evening", span: DailySpan(from: TimeOfDay(hour: 16), to: TimeOfDay(hour: 19, minute: 30)),
                      remindAt: TimeOfDay(hour: 19, minute: 30), deadline: TimeOfDay(hour: 20)),
        PaymentWindow(name: "night", span: DailySpan(from: TimeOfDay(hour: 19, minute: 30), to: TimeOfDay(hour: 5)),
                      remindAt: TimeOfDay(hour: 10)),
    ]

    /// The window holding a local time of day.
    public func window(containing time: TimeOfDay) -> PaymentWindow? {
        windows.first { $0.span.contains(time) }
    }

    public func expiry(placedAt: Date) -> Date { placedAt.addingTimeInterval(expiresAfter.interval) }

    /// The first slot (any window's `remindAt`) at or after `instant`.
    public func nextSlot(atOrAfter instant: Date, clock: ShopClock) -> Date {
        windows.map { clock.nextOccurrence(of: $0.remindAt, atOrAfter: instant) }.min() ?? instant
    }

    /// When the first reminder is due (§1.2), or nil if that would be at or after expiry (§1.5).
    public func firstDue(placedAt: Date, clock: ShopClock) -> Date? {
        guard let window = window(containing: clock.timeOfDay(of: placedAt)) else { return nil }
        let slot = clock.nextOccurrence(of: window.remindAt, atOrAfter: placedAt)
        var due = max(slot, placedAt.addingTimeInterval(minAge.interval))
        if let deadline = window.deadline, due > clock.nextOccurrence(of: deadline, atOrAfter: slot) {
            due = nextSlot(atOrAfter: due, clock: clock)
        }
        return beforeExpiry(due, placedAt: placedAt)
    }

    /// When reminder `number` (2, 3, …) is due after the previous one went out at `previousSentAt`
    /// (§1.3), or nil when the cap is reached or expiry comes first.
    public func nextDue(number: Int, previousSentAt: Date, placedAt: Date, clock: ShopClock) -> Date? {
        guard number <= maxReminders else { return nil }
        let due = nextSlot(atOrAfter: previousSentAt.addingTimeInterval(minGap.interval), clock: clock)
        return beforeExpiry(due, placedAt: placedAt)
    }

    /// What to do with a reminder due at `due` when the service gets to it at `now` (§1.6):
    /// send it now if it is at most `lateness` late, otherwise move it to the next slot,
    /// keeping its number; nil when that slot is at or after expiry.
    public func deliveryTime(due: Date, now: Date, placedAt: Date, clock: ShopClock) -> Date? {
        if now <= due.addingTimeInterval(lateness.interval) { return beforeExpiry(max(due, now), placedAt: placedAt) }
        return beforeExpiry(nextSlot(atOrAfter: now, clock: clock), placedAt: placedAt)
    }

    private func beforeExpiry(_ due: Date, placedAt: Date) -> Date? {
        due < expiry(placedAt: placedAt) ? due : nil
    }

    /// §1.7: most recent orders first, then the larger amount.
    public static func sendOrder(_ a: (placedAt: Date, amount: Int), _ b: (placedAt: Date, amount: Int)) -> Bool {
        a.placedAt != b.placedAt ? a.placedAt > b.placedAt : a.amount > b.amount
    }

    /// Problems with the windows themselves: overlaps and gaps in the day, slots inside quiet
    /// hours, deadlines before their slot. Each message names the windows concerned.
    public func windowProblems(quietHours: DailySpan?) -> [Sentence] {
        var problems: [Sentence] = []
        // Which windows hold each minute of the day: exact, and cheap at 1440 minutes.
        let holders = (0..<1440).map { m in windows.filter { $0.span.contains(TimeOfDay(minutes: m)) }.map(\.name) }
        for run in runs(of: holders) {
            let span = "\(TimeOfDay(minutes: run.start))–\(TimeOfDay(minutes: run.end % 1440))"
            if run.names.isEmpty {
                problems.append(Sentence("check.window_gap", ["span": .text(span)]))
            } else if run.names.count > 1 {
                problems.append(Sentence("check.window_overlap", ["names": .text(run.names.joined(separator: " and ")), "span": .text(span)]))
            }
        }
        for w in windows {
            if let q = quietHours, q.contains(w.remindAt) {
                problems.append(Sentence("check.window_quiet", ["name": .text(w.name), "at": .text("\(w.remindAt)"), "quiet": .text("\(q)")]))
            }
            if let d = w.deadline, DailySpan(from: w.remindAt, to: d).length > 720 {
                problems.append(Sentence("check.window_deadline", ["name": .text(w.name), "deadline": .text("\(d)"), "at": .text("\(w.remindAt)")]))
            }
        }
        return problems
    }

    /// Consecutive minutes with the same holders, as [start, end) in minutes.
    private func runs(of holders: [[String]]) -> [(start: Int, end: Int, names: [String])] {
        var out: [(start: Int, end: Int, names: [String])] = []
        for (m, names) in holders.enumerated() {
            if let last = out.last, last.names == names, last.end == m {
                out[out.count - 1].end = m + 1
            } else {
                out.append((m, m + 1, names))
            }
        }
        return out.filter { $0.names.count != 1 }
    }
}
