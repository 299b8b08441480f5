import Foundation

/// A standard five-field cron expression (minute hour day-of-month month day-of-week), with
/// lists, ranges, steps, month and weekday names, and the @hourly/@daily/@weekly/@monthly/
/// @yearly shorthands, evaluated on the wall clock of a time zone.
///
/// Day-of-month and day-of-week: when both are restricted (neither is exactly `*`), a day
/// matches if either matches, as in POSIX cron and croniter.
///
/// Daylight saving time, the rule cron users expect (Vixie cron, cronie):
/// - spring forward: a run whose wall time is skipped happens at the instant of the jump (a
///   daily 02:30 job runs at 03:00 new time), once; only a job that runs every hour (hour field
///   `*`) simply has no run in the skipped hour, since its next one follows at once;
/// - fall back: a job with a fixed hour runs once, at the first occurrence of its wall time;
///   a job whose hour field is a wildcard (`*`, `*/2`) runs in both occurrences of the hour,
///   like any other hour.
/// croniter differs on the second point (it runs fixed-hour jobs twice), and reads a day field
/// written as its full range (`0-6`, `1-31`) as `*`, where Vixie cron and carecron count it as
/// restricted; the oracle test counts both as the documented, deliberate differences.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public let expression: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    /// Hour field is a wildcard (`*`, `*/2`): the job also runs in the repeated hour of a DST overlap.
    let hourIsWildcard: Bool
    /// Hour field is exactly `*`: a run in a skipped hour is simply dropped, the next hour's comes.
    let hourIsEveryHour: Bool

    public var description: String { expression }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let message: String
        public var description: String { message }
    }

    private static let shorthands: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(_ text: String) throws {
        let trimmed = text.trimmedSpaces
        expression = trimmed
        let expanded: String
        if trimmed.hasPrefix("@") {
            guard let s = Self.shorthands[trimmed.lowercased()] else {
                throw ParseError(message: "unknown shorthand \(trimmed) (use @hourly, @daily, @weekly, @monthly or @yearly)")
            }
            expanded = s
        } else {
            expanded = trimmed
        }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(message: "a cron expression has 5 fields (minute hour day month weekday), found \(fields.count)")
        }
        minutes = try Self.parseField(fields[0], name: "minute", range: 0...59, names: [])
        hours = try Self.parseField(fields[1], name: "hour", range: 0...23, names: [])
        daysOfMonth = try Self.parseField(fields[2], name: "day of month", range: 1...31, names: [])
        months = try Self.parseField(fields[3], name: "month", range: 1...12, names: Self.monthNames, nameBase: 1)
        var dow = try Self.parseField(fields[4], name: "day of week", range: 0...7, names: Self.dayNames)
        if dow.remove(7) != nil { dow.insert(0) }
        daysOfWeek = dow
        dayOfMonthRestricted = fields[2] != "*"
        dayOfWeekRestricted = fields[4] != "*"
        hourIsWildcard = fields[1].hasPrefix("*")
        hourIsEveryHour = fields[1] == "*"
        if !Self.anyDayPossible(daysOfMonth, months), !dayOfWeekRestricted || !dayOfMonthRestricted {
            throw ParseError(message: "day of month and month never meet (e.g. 30 February): the schedule never fires")
        }
    }

    private static func anyDayPossible(_ days: Set<Int>, _ months: Set<Int>) -> Bool {
        months.contains { m in days.contains { $0 <= LocalDate.daysIn(month: m, year: 2024) } }
    }

    private static func parseField(_ field: String, name: String, range: ClosedRange<Int>,
                                   names: [String], nameBase: Int = 0) throws -> Set<Int> {
        var result = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw ParseError(message: "\(name): empty list item in \"\(field)\"") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ParseError(message: "\(name): too many '/' in \"\(part)\"") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else {
                    throw ParseError(message: "\(name): step \"\(pieces[1])\" is not a positive number")
                }
                step = s
            }
            let base = String(pieces[0])
            var lo: Int, hi: Int
            if base == "*" {
                lo = range.lowerBound; hi = range.upperBound
                if name == "day of week" { hi = 6 }
            } else {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw ParseError(message: "\(name): bad range \"\(base)\"") }
                lo = try value(String(bounds[0]), name: name, range: range, names: names, nameBase: nameBase)
                if bounds.count == 2 {
                    hi = try value(String(bounds[1]), name: name, range: range, names: names, nameBase: nameBase)
                    guard lo <= hi else { throw ParseError(message: "\(name): range \"\(base)\" goes backwards") }
                } else {
                    hi = pieces.count == 2 ? range.upperBound : lo
                }
            }
            result.formUnion(stride(from: lo, through: hi, by: step))
        }
        return result
    }

    private static func value(_ text: String, name: String, range: ClosedRange<Int>,
                              names: [String], nameBase: Int) throws -> Int {
        if let n = Int(text) {
            guard range.contains(n) else {
                throw ParseError(message: "\(name): \(n) is outside \(range.lowerBound)–\(range.upperBound)")
            }
            return n
        }
        if let i = names.firstIndex(of: text.lowercased()) { return i + nameBase }
        throw ParseError(message: "\(name): \"\(text)\" is not a number\(names.isEmpty ? "" : " or a name like \(names[0])")")
    }

    func matches(_ date: LocalDate) -> Bool {
        guard months.contains(date.month) else { return false }
        let dom = daysOfMonth.contains(date.day)
        let dow = daysOfWeek.contains(date.weekday)
        if dayOfMonthRestricted && dayOfWeekRestricted { return dom || dow }
        return dom && dow
    }

    /// The first firing strictly after `instant`, or nil if none within eight years.
    public func next(after instant: Date, clock: ShopClock) -> Date? {
        let sortedHours = hours.sorted(), sortedMinutes = minutes.sorted()
        var day = clock.localDate(of: instant).adding(days: -1)
        let lastDay = day.adding(days: 366 * 8 + 2)
        var best: Date?
        while day <= lastDay {
            if matches(day) {
                // Wall times run in order; DST can reorder instants only within a few hours,
                // so stop three hours of wall time after the first hit.
                var firstHit: Int?
                scan: for h in sortedHours {
                    for m in sortedMinutes {
                        let wall = h * 60 + m
                        if let f = firstHit, wall - f > 180 { break scan }
                        for candidate in firings(on: day, TimeOfDay(minutes: wall), clock: clock)
                        where candidate > instant {
                            firstHit = firstHit ?? wall
                            if best == nil || candidate < best! { best = candidate }
                        }
                    }
                }
            }
            // A gap or overlap can move a firing across midnight; look one day further before answering.
            if let b = best, clock.localDate(of: b) < day { return b }
            day = day.adding(days: 1)
        }
        return best
    }

    /// The instants at which the wall time fires under the DST rule above.
    private func firings(on day: LocalDate, _ time: TimeOfDay, clock: ShopClock) -> [Date] {
        let all = clock.instants(of: day, time)
        if all.isEmpty { return hourIsEveryHour ? [] : [clock.instant(of: day, time)] }
        return hourIsWildcard ? all : [all[0]]
    }

    /// The next `count` firings after `instant`.
    public func firings(after instant: Date, count: Int, clock: ShopClock) -> [Date] {
        var out: [Date] = []
        forEachFiring(after: instant, count: count, clock: clock) { out.append($0) }
        return out
    }

    /// The next `count` firings after `instant`, each handed over as it is found.
    public func forEachFiring(after instant: Date, count: Int, clock: ShopClock, _ body: (Date) -> Void) {
        var t = instant
        for _ in 0..<count {
            guard let n = next(after: t, clock: clock) else { return }
            body(n)
            t = n
        }
    }
}

extension CronSchedule {
    /// The most days from one day it fires on to the next (1 for a daily job), over two years
    /// of calendar; what waits for its next run waits at most this long.
    public var longestDayGap: Int {
        var day = LocalDate(year: 2025, month: 1, day: 1), last: LocalDate?, longest = 1
        var first: LocalDate?
        for _ in 0..<731 {
            if matches(day) {
                if let last { longest = max(longest, day.daysSinceEpoch - last.daysSinceEpoch) }
                first = first ?? day
                last = day
            }
            day = day.adding(days: 1)
        }
        if first == nil || first == last { return 366 }
        return min(longest, 366)
    }

    /// The days of the month the expression names (for tests and tooling).
    var daysOfMonthSet: Set<Int> { daysOfMonth }
    var daysOfWeekSet: Set<Int> { daysOfWeek }
}
