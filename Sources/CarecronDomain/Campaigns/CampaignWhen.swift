import Foundation

/// When a campaign goes out (`when` in its job file): on an instant, on dates, or on a day of
/// the lunar calendar, at a time of day, some days before or after the occasion.
public struct CampaignWhen: Sendable, Equatable {
    public enum Occasion: Sendable, Equatable {
        /// Once, on this day.
        case once(LocalDate)
        /// Every year on this month and day ("03-08").
        case yearly(month: Int, day: Int)
        /// Every lunar year on this lunar month and day (the leap month only when asked).
        case lunar(month: Int, day: Int, leap: Bool)
    }

    public var occasions: [Occasion]
    public var time: TimeOfDay
    /// Days from the occasion to the sending (-3: three days before Tết).
    public var offsetDays: Int

    public init(occasions: [Occasion], time: TimeOfDay, offsetDays: Int = 0) {
        self.occasions = occasions
        self.time = time
        self.offsetDays = offsetDays
    }

    /// The occasions' days between two civil days (inclusive), in order. A lunar day 30 in a
    /// year whose month has 29 days falls on the 29th (New Year's Eve is the month's last day).
    public func occasionDays(from first: LocalDate, through last: LocalDate, calendar: LunarCalendar = .vietnam) -> [LocalDate] {
        var days = Set<LocalDate>()
        for occasion in occasions {
            switch occasion {
            case .once(let d):
                if d >= first && d <= last { days.insert(d) }
            case .yearly(let month, let day):
                for year in first.year...last.year {
                    // 29 February is kept on the 28th in other years, as birthdays are.
                    let d = LocalDate(year: year, month: month, day: min(day, LocalDate.daysIn(month: month, year: year)))
                    if d >= first && d <= last { days.insert(d) }
                }
            case .lunar(let month, let day, let leap):
                for year in (first.year - 1)...last.year {
                    let lunar = LunarDate(year: year, month: month, day: day, leap: leap)
                    var d = calendar.solarDate(of: lunar)
                    if d == nil, day == 30, calendar.monthLength(year: year, month: month, leap: leap) == 29 {
                        d = calendar.solarDate(of: LunarDate(year: year, month: month, day: 29, leap: leap))
                    }
                    if let d, d >= first && d <= last { days.insert(d) }
                }
            }
        }
        return days.sorted()
    }

    /// The occasions whose sending day falls between two civil days (inclusive), with that day.
    public func occurrences(sendingFrom first: LocalDate, through last: LocalDate) -> [(occasion: LocalDate, sendDay: LocalDate)] {
        occasionDays(from: first.adding(days: -offsetDays), through: last.adding(days: -offsetDays))
            .map { ($0, $0.adding(days: offsetDays)) }
    }

    /// The next `count` sending instants after `after`, as `carecron schedule` lists a cron's.
    public func firings(after: Date, count: Int, clock: ShopClock) -> [Date] {
        var out: [Date] = []
        var from = clock.localDate(of: after)
        // Ten years at a time: a lunar or yearly occasion fires at least once in each.
        for _ in 0..<20 where out.count < count {
            let to = from.adding(days: 3653)
            for o in occurrences(sendingFrom: from, through: to) {
                let at = clock.instant(of: o.sendDay, time)
                if at > after, out.count < count, !out.contains(at) { out.append(at) }
            }
            from = to.adding(days: 1)
        }
        return out
    }

    /// "lunar 1/1, 3 days before, at 09:00": for `status` and the console (English, as the job files' keys are).
    public var description: String {
        let days = occasions.map { o -> String in
            switch o {
            case .once(let d): return d.description
            case .yearly(let m, let d): return String(format: "%02d-%02d every year", m, d)
            case .lunar(let m, let d, let leap): return "lunar \(d)/\(m)\(leap ? " (leap month)" : "")"
            }
        }.joined(separator: ", ")
        let n = abs(offsetDays), unit = n == 1 ? "day" : "days"
        let offset = offsetDays == 0 ? "" : offsetDays < 0 ? ", \(n) \(unit) before" : ", \(n) \(unit) after"
        return "\(days)\(offset), at \(time)"
    }
}
