@testable import CarecronDomain
import Foundation
import Testing

@Suite("Cron schedules")
struct CronTests {
    let saigon = TestSupport.saigon, berlin = TestSupport.berlin

    func next(_ expr: String, from: String, count: Int = 3, clock: ShopClock = TestSupport.saigon) throws -> [String] {
        try CronSchedule(expr).firings(after: TestSupport.instant(from, clock: clock), count: count, clock: clock)
            .map { InstantFormat.format($0, clock: clock) }
    }

    @Test func everyFiveMinutes() throws {
        #expect(try next("*/5 * * * *", from: "2026-12-01T08:03:10+07:00") ==
                ["2026-12-01T08:05:00+07:00", "2026-12-01T08:10:00+07:00", "2026-12-01T08:15:00+07:00"])
    }

    @Test func namesListsAndRanges() throws {
        #expect(try next("30 9 * jan,dec mon-fri", from: "2026-12-30T10:00:00+07:00") ==
                ["2026-12-31T09:30:00+07:00", "2027-01-01T09:30:00+07:00", "2027-01-04T09:30:00+07:00"])
        #expect(try next("0 12 1-10/3 * *", from: "2026-12-01T13:00:00+07:00") ==
                ["2026-12-04T12:00:00+07:00", "2026-12-07T12:00:00+07:00", "2026-12-10T12:00:00+07:00"])
    }

    @Test func shorthands() throws {
        #expect(try next("@daily", from: "2026-12-31T12:00:00+07:00", count: 1) == ["2027-01-01T00:00:00+07:00"])
        #expect(try next("@hourly", from: "2026-12-31T23:59:00+07:00", count: 1) == ["2027-01-01T00:00:00+07:00"])
        #expect(try next("@weekly", from: "2026-12-01T00:00:00+07:00", count: 1) == ["2026-12-06T00:00:00+07:00"])
        #expect(try next("@monthly", from: "2026-12-01T00:00:00+07:00", count: 1) == ["2027-01-01T00:00:00+07:00"])
        #expect(try next("@yearly", from: "2026-12-01T00:00:00+07:00", count: 1) == ["2027-01-01T00:00:00+07:00"])
    }

    @Test func dayOfMonthOrDayOfWeek() throws {
        // Both restricted: either matches (1st of the month, or a Sunday).
        #expect(try next("0 0 1 * sun", from: "2026-11-28T12:00:00+07:00") ==
                ["2026-11-29T00:00:00+07:00", "2026-12-01T00:00:00+07:00", "2026-12-06T00:00:00+07:00"])
        #expect(try next("0 0 * * 7", from: "2026-11-28T12:00:00+07:00", count: 1) == ["2026-11-29T00:00:00+07:00"])
    }

    @Test func leapDay() throws {
        #expect(try next("0 9 29 2 *", from: "2026-03-01T00:00:00+07:00", count: 2) ==
                ["2028-02-29T09:00:00+07:00", "2032-02-29T09:00:00+07:00"])
    }

    @Test func springForwardGapRunsAtTheJump() throws {
        // Berlin skips 02:00–03:00 on 2026-03-29.
        #expect(try next("30 2 * * *", from: "2026-03-28T12:00:00+01:00", clock: berlin) ==
                ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"])
        #expect(try next("0 * * * *", from: "2026-03-29T00:30:00+01:00", clock: berlin) ==
                ["2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"])
    }

    @Test func fallBackOverlap() throws {
        // Berlin repeats 02:00–03:00 on 2026-10-25: a fixed-hour job runs once, an hourly one twice.
        #expect(try next("30 2 * * *", from: "2026-10-24T12:00:00+02:00", count: 2, clock: berlin) ==
                ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"])
        #expect(try next("0 * * * *", from: "2026-10-25T00:30:00+02:00", count: 4, clock: berlin) ==
                ["2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"])
    }

    @Test(arguments: [
        ("* * * *", "5 fields"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"), ("* * 0 * *", "day of month"),
        ("* * * 13 *", "month"), ("* * * * 8", "day of week"), ("*/0 * * * *", "step"), ("5-1 * * * *", "backwards"),
        ("@fortnightly", "shorthand"), ("0 0 30 2 *", "never"), ("* * * foo *", "name"),
    ])
    func invalidExpressionsAreExplained(expr: String, words: String) {
        #expect {
            try CronSchedule(expr)
        } throws: { error in
            "\(error)".contains(words)
        }
    }
}

/// Compares the cron arithmetic with Python's croniter on 10,000 random cases.
@Suite("Cron oracle")
struct CronOracleTests {
    static let zones = ["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC",
                        "America/Sao_Paulo", "Asia/Kathmandu", "Europe/London"]

    struct Case: Codable {
        let id: Int, expr: String, tz: String, start: Int, count: Int
    }

    static func randomField(_ g: inout SeededGenerator, lo: Int, hi: Int, names: [String] = []) -> String {
        func v() -> Int { Int.random(in: lo...hi, using: &g) }
        func range() -> (Int, Int) {
            let a = Int.random(in: lo..<hi, using: &g)
            return (a, Int.random(in: (a + 1)...hi, using: &g))
        }
        func item() -> String {
            if !names.isEmpty, Bool.random(using: &g) { return names[Int.random(in: 0..<names.count, using: &g)] }
            return String(v())
        }
        switch Int.random(in: 0..<7, using: &g) {
        case 0, 1: return "*"
        case 2: return item()
        // Ranges with equal ends ("7-7/2") are left out: croniter reads them as the whole
        // field with a step (every odd minute), every other cron as the single value.
        case 3: let (a, b) = range(); return "\(a)-\(b)"
        case 4: return "*/\(Int.random(in: 2...max(2, (hi - lo) / 2), using: &g))"
        case 5: let (a, b) = range(); return "\(a)-\(b)/\(Int.random(in: 2...4, using: &g))"
        default: return Set((0..<Int.random(in: 2...3, using: &g)).map { _ in v() }).sorted().map(String.init).joined(separator: ",")
        }
    }

    static func cases(count: Int) -> [Case] {
        var g = SeededGenerator(seed: 20_261_126)
        var out: [Case] = []
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        while out.count < count {
            let expr: String
            if Int.random(in: 0..<20, using: &g) == 0 {
                expr = ["@hourly", "@daily", "@weekly", "@monthly", "@yearly"][Int.random(in: 0..<5, using: &g)]
            } else {
                expr = [randomField(&g, lo: 0, hi: 59), randomField(&g, lo: 0, hi: 23), randomField(&g, lo: 1, hi: 28),
                        randomField(&g, lo: 1, hi: 12, names: months), randomField(&g, lo: 0, hi: 6, names: days)]
                    .joined(separator: " ")
            }
            guard (try? CronSchedule(expr)) != nil else { continue }
            let tz = zones[Int.random(in: 0..<zones.count, using: &g)]
            var start = Int.random(in: 1_577_836_800...1_893_456_000, using: &g)  // 2020–2030
            // A third of the cases start within two days of a DST change, where the rules matter.
            if Int.random(in: 0..<3, using: &g) == 0, let zone = TimeZone(identifier: tz),
               let t = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: TimeInterval(start))) {
                start = Int(t.timeIntervalSince1970) + Int.random(in: -172_800...7200, using: &g)
            }
            out.append(Case(id: out.count, expr: expr, tz: tz, start: start, count: 3))
        }
        return out
    }

    /// croniter's answers, `count + 2` of them so that dropping deliberate differences leaves enough.
    static func croniter(_ cases: [Case]) throws -> [Int: [Int]] {
        let lines = cases.map { c in
            "{\"id\":\(c.id),\"expr\":\"\(c.expr)\",\"tz\":\"\(c.tz)\",\"start\":\(c.start),\"count\":\(c.count + 2)}\n"
        }.joined()
        let (status, data) = try TestSupport.oracle("cron_oracle.py", input: lines)
        guard status == 0 else {
            throw OracleUnavailable(message: "python3 with croniter is needed (pip install croniter); .ci/run installs it")
        }
        var result: [Int: [Int]] = [:]
        for line in data.split(separator: 0x0A) {
            let obj = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
            result[obj["id"] as! Int] = (obj["next"] as? [Int]) ?? []
        }
        return result
    }

    struct OracleUnavailable: Error, CustomStringConvertible { let message: String; var description: String { message } }

    /// croniter runs a fixed-hour job twice when the clocks fall back; carecron, like Vixie cron
    /// and cronie, runs it once (CronSchedule's comment). Such firings are dropped before comparing.
    static func isDeliberateDifference(_ instant: Int, expr: String, clock: ShopClock) -> Bool {
        let hourField = expr.hasPrefix("@") ? (expr == "@hourly" ? "*" : "0") : String(expr.split(separator: " ")[1])
        guard !hourField.hasPrefix("*") else { return false }
        let d = Date(timeIntervalSince1970: TimeInterval(instant))
        let occurrences = clock.instants(of: clock.localDate(of: d), clock.timeOfDay(of: d))
        return occurrences.count == 2 && occurrences[1] == d
    }

    /// The expression as croniter reads it: a day field covering its whole range becomes `*`.
    static func croniterReading(of expr: String) -> String? {
        var fields = expr.split(separator: " ").map(String.init)
        guard fields.count == 5 else { return nil }
        var changed = false
        for (i, full) in [(2, Set(1...31)), (4, Set(0...6))] where fields[i] != "*" {
            guard let schedule = try? CronSchedule(["0", "0", i == 2 ? fields[i] : "*", "*", i == 4 ? fields[i] : "*"].joined(separator: " ")) else { continue }
            if (i == 2 ? schedule.daysOfMonthSet : schedule.daysOfWeekSet) == full { fields[i] = "*"; changed = true }
        }
        return changed ? fields.joined(separator: " ") : nil
    }

    @Test func tenThousandRandomCasesAgreeWithCroniter() throws {
        let cases = Self.cases(count: 10_000)
        let expected = try Self.croniter(cases)
        var differences: [String] = [], deliberate = 0, fullRange = 0
        for c in cases {
            let clock = ShopClock(zoneIdentifier: c.tz)!
            let ours = try CronSchedule(c.expr).firings(after: Date(timeIntervalSince1970: TimeInterval(c.start)), count: c.count, clock: clock)
                .map { Int($0.timeIntervalSince1970) }
            let theirsAll = expected[c.id] ?? []
            let theirs = theirsAll.filter { !Self.isDeliberateDifference($0, expr: c.expr, clock: clock) }
            if theirs.count < theirsAll.count { deliberate += 1 }
            if Array(theirs.prefix(c.count)) != ours, Self.croniterReading(of: c.expr).map({ rewritten in
                (try? CronSchedule(rewritten).firings(after: Date(timeIntervalSince1970: TimeInterval(c.start)), count: c.count, clock: clock)
                    .map { Int($0.timeIntervalSince1970) }) == Array(theirs.prefix(c.count))
            }) == true {
                fullRange += 1
            } else if Array(theirs.prefix(c.count)) != ours {
                differences.append("\(c.expr) in \(c.tz) after \(c.start): carecron \(ours), croniter \(theirsAll)")
            }
        }
        print("cron oracle: \(cases.count) cases, \(differences.count) differences; deliberate: \(deliberate) fixed-hour jobs in a DST overlap, \(fullRange) full-range day fields")
        #expect(differences.count == 0, "first differences:\n\(differences.prefix(5).joined(separator: "\n"))")
    }
}
