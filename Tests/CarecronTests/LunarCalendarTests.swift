@testable import CarecronDomain
import Foundation
import Testing

/// The Vietnamese lunar calendar (issue 13): Tết and the leap months as Vietnamese calendars print
/// them, and every day of 1900–2100 against two oracles from PyPI (Tests/oracle/lunar_oracle.py):
/// vnlunar's copy of the published tables, and lunar-vn's own computation at UTC+7.
@Suite("Lunar calendar")
struct LunarCalendarTests {
    let vietnam = LunarCalendar.vietnam

    static func day(_ text: String) -> LocalDate {
        let p = text.split(separator: "-").map { Int($0)! }
        return LocalDate(year: p[0], month: p[1], day: p[2])
    }

    @Test func tetAsVietnamesCalendarsPrintIt() {
        let tet = ["1985": "1985-01-21", "2007": "2007-02-17", "2020": "2020-01-25", "2021": "2021-02-12", "2022": "2022-02-01",
                   "2023": "2023-01-22", "2024": "2024-02-10", "2025": "2025-01-29", "2026": "2026-02-17", "2027": "2027-02-06",
                   "2028": "2028-01-26", "2029": "2029-02-13", "2030": "2030-02-02"]
        for (year, date) in tet {
            #expect(vietnam.solarDate(of: LunarDate(year: Int(year)!, month: 1, day: 1)) == Self.day(date), "Tết \(year)")
            #expect(vietnam.lunarDate(of: Self.day(date)) == LunarDate(year: Int(year)!, month: 1, day: 1))
        }
        // The same method at China's meridian gives China's Tết: the two differ in these years.
        let china = LunarCalendar(timeZone: 8)
        #expect(china.solarDate(of: LunarDate(year: 1985, month: 1, day: 1)) == Self.day("1985-02-20"))
        #expect(china.solarDate(of: LunarDate(year: 2007, month: 1, day: 1)) == Self.day("2007-02-18"))
        #expect(china.solarDate(of: LunarDate(year: 2030, month: 1, day: 1)) == Self.day("2030-02-03"))
    }

    @Test func leapMonthsRepeatTheMonthBefore() {
        let leaps = [(2020, 4, "2020-05-23"), (2023, 2, "2023-03-22"), (2025, 6, "2025-07-25"), (2028, 5, "2028-06-23"),
                     (2031, 3, "2031-04-21"), (2033, 11, "2033-12-22")]
        for (year, month, start) in leaps {
            #expect(vietnam.solarDate(of: LunarDate(year: year, month: month, day: 1, leap: true)) == Self.day(start), "\(year) leap \(month)")
            #expect(vietnam.lunarDate(of: Self.day(start)) == LunarDate(year: year, month: month, day: 1, leap: true))
        }
        // A year without that leap month has none to give.
        #expect(vietnam.solarDate(of: LunarDate(year: 2026, month: 4, day: 1, leap: true)) == nil)
        #expect(vietnam.solarDate(of: LunarDate(year: 2024, month: 1, day: 1, leap: true)) == nil)
    }

    @Test func occasionsOf2026() {
        #expect(vietnam.solarDate(of: LunarDate(year: 2026, month: 8, day: 15)) == Self.day("2026-09-25"), "Mid-Autumn")
        #expect(vietnam.solarDate(of: LunarDate(year: 2026, month: 1, day: 15)) == Self.day("2026-03-03"), "Rằm tháng Giêng")
        // Month 12 of lunar 2025 has 29 days: its 30th does not exist, and New Year's Eve is the 29th.
        #expect(vietnam.monthLength(year: 2025, month: 12) == 29)
        #expect(vietnam.solarDate(of: LunarDate(year: 2025, month: 12, day: 30)) == nil)
    }

    /// Every day of 1900–2100 beside both oracles: the published table from 1968 (before, Vietnam
    /// printed China's UTC+8 calendar), and lunar-vn at UTC+7 throughout, but where lunar-vn's short
    /// series and Meeus' full one put a new moon less than two minutes from midnight on different days.
    @Test func everyDayOf1900To2100AgainstTheOracles() throws {
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["python3", TestSupport.packageRoot.appendingPathComponent("Tests/oracle/lunar_oracle.py").path,
                                     "1900-01-01", "2100-12-31"], in: TestSupport.packageRoot)
        guard r.status == 0 else {
            Issue.record("python3 with lunar-vn and vnlunar is needed (pip install lunar-vn vnlunar; .ci/run installs them): \(r.stderr.suffix(400))")
            return
        }
        func parse(_ s: Substring) -> LunarDate {
            let p = s.split(separator: "/").map { Int($0)! }
            return LunarDate(year: p[2], month: p[1], day: p[0], leap: p[3] == 1)
        }
        var days = 0, tableDifferences: [String] = [], astroDifferences: [String] = []
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            let civil = Self.day(String(f[0]))
            let ours = vietnam.lunarDate(of: civil)
            days += 1
            if civil.year >= 1968, ours != parse(f[1]) { tableDifferences.append("\(f[0]): \(ours) vs table \(f[1])") }
            if ours != parse(f[2]), !newMoonNearMidnight(ours, civil) { astroDifferences.append("\(f[0]): \(ours) vs lunar-vn \(f[2])") }
        }
        #expect(days == 73_414)
        #expect(tableDifferences.isEmpty, "\(tableDifferences.prefix(5))")
        #expect(astroDifferences.isEmpty, "\(astroDifferences.prefix(5))")
    }

    /// Whether the month holding `civil` begins (or the next one would begin) with a new moon
    /// within two minutes of local midnight: there the day depends on the series' last seconds.
    func newMoonNearMidnight(_ lunar: LunarDate, _ civil: LocalDate) -> Bool {
        let jd = LunarCalendar.julianDay(civil)
        let k = Int(floor((Double(jd) - 2415021.076998695) / LunarCalendar.synodicMonth))
        return (k - 1...k + 2).contains { k in
            let local = LunarCalendar.newMoon(k) + 0.5 + vietnam.timeZone / 24
            let minutes = (local - floor(local)) * 1440
            return minutes < 2 || minutes > 1438
        }
    }

    @Test func solarAndLunarRoundTripOverTwoCenturies() {
        var day = LocalDate(year: 1900, month: 1, day: 31)
        while day.year <= 2100 {
            let lunar = vietnam.lunarDate(of: day)
            #expect(vietnam.solarDate(of: lunar) == day, "\(day) → \(lunar)")
            day = day.adding(days: 11)
        }
    }
}
