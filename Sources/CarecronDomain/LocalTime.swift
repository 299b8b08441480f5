import Foundation

/// A wall-clock time of day in the shop's zone, to the minute ("12:00", "19:30").
public struct TimeOfDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Minutes since local midnight, 0..<1440.
    public let minutes: Int

    public init(minutes: Int) {
        precondition((0..<1440).contains(minutes), "time of day out of range")
        self.minutes = minutes
    }

    public init(hour: Int, minute: Int = 0) { self.init(minutes: hour * 60 + minute) }

    /// Parses "H:MM" or "HH:MM" (24-hour clock); "24:00" is refused, use "00:00".
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]),
              (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        self.init(hour: h, minute: m)
    }

    public var hour: Int { minutes / 60 }
    public var minute: Int { minutes % 60 }
    public var description: String { pad2(hour) + ":" + pad2(minute) }
    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool { a.minutes < b.minutes }
}

/// A span of the day [from, to), which wraps midnight when `to` is not after `from`
/// ("21:00–08:00" is the night). `from == to` means the whole day.
public struct DailySpan: Hashable, Sendable, CustomStringConvertible {
    public let from: TimeOfDay
    public let to: TimeOfDay

    public init(from: TimeOfDay, to: TimeOfDay) {
        self.from = from
        self.to = to
    }

    public var wrapsMidnight: Bool { to <= from }

    /// Length in minutes (a whole day when from == to).
    public var length: Int {
        let d = to.minutes - from.minutes
        return d > 0 ? d : d + 1440
    }

    public func contains(_ t: TimeOfDay) -> Bool {
        if wrapsMidnight { return t >= from || t < to }
        return t >= from && t < to
    }

    public var description: String { "\(from)–\(to)" }
}

/// Calendar arithmetic in one time zone: local dates and times to instants and back.
///
/// The one rule for wall-clock times that do not exist or exist twice (DST), used by every
/// job and by cron: a time in a spring-forward gap happens at the instant the clocks jump
/// (02:30 on a day that skips 02:00–03:00 means 03:00 new time); a time that happens twice
/// in an autumn overlap happens at its first occurrence.
public struct ShopClock: Sendable {
    public let zone: TimeZone
    private let calendar: Calendar
    /// The zone's offset, where it has not changed since 2000 and will not (Asia/Ho_Chi_Minh):
    /// then local time is plain arithmetic, not a Foundation time-zone lookup per call, which
    /// was a fifth of the planner's time.
    private let fixedOffset: Int?
    private static let fixedSince = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01

    public init(zone: TimeZone) {
        self.zone = zone
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        self.calendar = c
        let offset = zone.secondsFromGMT(for: Self.fixedSince)
        let unchanged = zone.nextDaylightSavingTimeTransition(after: Self.fixedSince) == nil
            && zone.secondsFromGMT(for: Date(timeIntervalSince1970: 4_102_444_800)) == offset  // 2100-01-01
        fixedOffset = unchanged ? offset : nil
    }

    /// Seconds since 1970 on the local wall clock, where the offset is fixed.
    private func wallSeconds(_ instant: Date) -> Int? {
        guard let fixedOffset, instant >= Self.fixedSince else { return nil }
        return Int(instant.timeIntervalSince1970.rounded(.down)) + fixedOffset
    }

    public init?(zoneIdentifier: String) {
        guard let tz = TimeZone(identifier: zoneIdentifier) else { return nil }
        self.init(zone: tz)
    }

    /// The local civil date of an instant.
    public func localDate(of instant: Date) -> LocalDate {
        if let wall = wallSeconds(instant) { return LocalDate(daysSinceEpoch: wall / 86_400) }
        let c = calendar.dateComponents([.year, .month, .day], from: instant)
        return LocalDate(year: c.year!, month: c.month!, day: c.day!)
    }

    /// The local time of day of an instant (seconds dropped).
    public func timeOfDay(of instant: Date) -> TimeOfDay {
        if let wall = wallSeconds(instant) { return TimeOfDay(minutes: wall % 86_400 / 60) }
        let c = calendar.dateComponents([.hour, .minute], from: instant)
        return TimeOfDay(hour: c.hour!, minute: c.minute!)
    }

    /// Every instant at which the wall clock shows `date` `time` (0, 1 or 2 of them), earliest first.
    public func instants(of date: LocalDate, _ time: TimeOfDay) -> [Date] {
        let naive = date.naiveSeconds + Double(time.minutes * 60)
        if let fixedOffset, naive - Double(fixedOffset) >= Self.fixedSince.timeIntervalSince1970 {
            return [Date(timeIntervalSince1970: naive - Double(fixedOffset))]
        }
        // The offsets in force a day either side cover every transition of real zones.
        let offsets = Set([naive - 86_400, naive, naive + 86_400].map {
            zone.secondsFromGMT(for: Date(timeIntervalSince1970: $0))
        })
        return offsets.map { Date(timeIntervalSince1970: naive - Double($0)) }
            .filter { zone.secondsFromGMT(for: $0) == Int(naive - $0.timeIntervalSince1970) }
            .sorted()
    }

    /// The instant of a local date and time under the shop's DST rule (see the type's comment).
    public func instant(of date: LocalDate, _ time: TimeOfDay) -> Date {
        if let first = instants(of: date, time).first { return first }
        return transition(after: date, time)
    }

    /// For a wall-clock time inside a gap: the instant the clocks jumped over it.
    private func transition(after date: LocalDate, _ time: TimeOfDay) -> Date {
        let naive = date.naiveSeconds + Double(time.minutes * 60)
        let before = zone.secondsFromGMT(for: Date(timeIntervalSince1970: naive - 86_400))
        // Read with the offset before the gap, the wall time lies after the jump; the jump is
        // the zone's next transition from a moment safely before it.
        let probe = Date(timeIntervalSince1970: naive - Double(before) - 86_400)
        return zone.nextDaylightSavingTimeTransition(after: probe)
            ?? Date(timeIntervalSince1970: naive - Double(before))
    }

    /// Midnight at the start of a local date (or the first instant of that date).
    public func startOfDay(_ date: LocalDate) -> Date { instant(of: date, TimeOfDay(minutes: 0)) }

    /// The first instant at or after `instant` whose local time of day is `time`.
    public func nextOccurrence(of time: TimeOfDay, atOrAfter instant: Date) -> Date {
        var day = localDate(of: instant).adding(days: -1)
        while true {
            let candidate = self.instant(of: day, time)
            if candidate >= instant { return candidate }
            day = day.adding(days: 1)
        }
    }
}

/// A civil date without a zone.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses "YYYY-MM-DD", checking that the day exists.
    public init?(iso text: String) {
        if let d = Self.fromDigits(text) { self = d; return }
        let p = text.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, p[0].count == 4, p[1].count == 2, p[2].count == 2,
              let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]),
              (1...12).contains(m), d >= 1, d <= LocalDate.daysIn(month: m, year: y) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// "YYYY-MM-DD" read from its bytes (a birthday a customer row); nil leaves it to the
    /// general reading, which says the same for anything else.
    private static func fromDigits(_ text: String) -> LocalDate? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
                v = v * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10),
              (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y) else { return nil }
        return LocalDate(year: y, month: m, day: d)
    }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (proleptic Gregorian), by Howard Hinnant's algorithm.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int { ((daysSinceEpoch % 7) + 11) % 7 }

    /// The Monday of its week (a Vietnamese week begins on Monday, "thứ Hai").
    public var mondayOfWeek: LocalDate { adding(days: -((weekday + 6) % 7)) }

    /// Seconds since the epoch of this date's midnight read as if it were UTC.
    var naiveSeconds: Double { Double(daysSinceEpoch) * 86_400 }

    public var description: String { String(year) + "-" + pad2(month) + "-" + pad2(day) }

    /// "12-01": how birthdays are stored and looked up.
    public var monthDay: String { pad2(month) + "-" + pad2(day) }
    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
}

/// "7" → "07": String(format:) goes through Foundation and is slow on hot paths.
@inline(__always)
func pad2(_ n: Int) -> String { n < 10 ? "0" + String(n) : String(n) }

extension StringProtocol {
    /// Without leading and trailing spaces and tabs. Foundation's trimmingCharacters(in:) was a
    /// fifth of an import's time; most fields have nothing to trim, and this returns them at once.
    public var trimmedSpaces: String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\u{00A0}" }
        guard let first = scalars.first, let last = scalars.last else { return "" }
        if !isSpace(first), !isSpace(last) { return String(self) }
        guard let start = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = scalars.lastIndex(where: { !isSpace($0) })!
        return String(String.UnicodeScalarView(scalars[start...end]))
    }
}

extension String {
    /// As `StringProtocol.trimmedSpaces`, by bytes first: nothing to trim when neither end is a
    /// space, a tab or the end of a no-break space (C2 A0).
    public var trimmedSpaces: String {
        let u = utf8
        guard let first = u.first, let last = u.last else { return "" }
        if first != 0x20, first != 0x09, first != 0xC2, last != 0x20, last != 0x09, last != 0xA0 { return self }
        return self[...].trimmedSpaces
    }

    /// Unicode NFC, so that text typed on any keyboard compares equal. Text made only of scalars
    /// below U+0300 and of Latin Extended Additional (precomposed Vietnamese letters) is already
    /// NFC; Foundation's conversion is skipped for it, as it was an import's slowest step.
    public var nfc: String {
        if unicodeScalars.allSatisfy({ $0.value < 0x300 || (0x1E00...0x1EFF).contains($0.value) }) { return self }
        return precomposedStringWithCanonicalMapping
    }
}
