import Foundation

/// How amounts and times are shown to Vietnamese customers.
public enum VietnameseFormat {
    /// 1250000 → "1.250.000₫".
    public static func money(_ dong: Int) -> String {
        let digits = String(dong.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(".") }
            out.append(ch)
        }
        return (dong < 0 ? "-" : "") + out + "₫"
    }

    /// "08:15 ngày 01/12/2026".
    public static func dateTime(_ instant: Date, clock: ShopClock) -> String {
        "\(clock.timeOfDay(of: instant)) ngày \(date(clock.localDate(of: instant)))"
    }

    /// "01/12/2026".
    public static func date(_ d: LocalDate) -> String { pad2(d.day) + "/" + pad2(d.month) + "/" + String(d.year) }

    /// "+84912345678" → "0912 345 678", as a person dials it; anything else as it is.
    public static func phone(_ e164: String) -> String {
        guard e164.hasPrefix("+84"), e164.count == 12, e164.dropFirst().allSatisfy(\.isNumber) else { return e164 }
        let national = "0" + e164.dropFirst(3)
        return national.prefix(4) + " " + national.dropFirst(4).prefix(3) + " " + national.suffix(3)
    }
}

/// Instants as they appear in files and on the command line.
public enum InstantFormat {
    /// ISO 8601 with an offset, or a local shop time without one ("2026-12-01T08:15:00",
    /// "2026-12-01 08:15"), read in the shop's zone. Strict: a day the calendar does not have
    /// (30 February), an hour past 23 or an offset past 14 hours is no time at all, never the
    /// nearest one Foundation's lenient parsers would make of it.
    public static func parse(_ text: String, clock: ShopClock) -> Date? {
        let t = text.trimmedSpaces
        if let d = ISOInstant.parse(t) { return d }
        guard let m = t.wholeMatch(of: shape), let date = LocalDate(iso: String(m.date)) else { return nil }
        let h = m.hour.flatMap { Int($0) } ?? 0, min = m.minute.flatMap { Int($0) } ?? 0, s = m.second.flatMap { Int($0) } ?? 0
        guard (0..<24).contains(h), (0..<60).contains(min), (0..<60).contains(s) else { return nil }
        let fraction = m.fraction.flatMap { Double("0." + $0) } ?? 0
        guard let zone = m.zone else {
            // A date alone, or a wall time: the shop's.
            return clock.instant(of: date, TimeOfDay(hour: h, minute: min)).addingTimeInterval(TimeInterval(s) + fraction)
        }
        guard m.hour != nil, let offset = offsetSeconds(zone) else { return nil }
        let seconds = date.daysSinceEpoch * 86_400 + h * 3600 + min * 60 + s - offset
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    /// Date, then optionally the time (minutes, seconds and a fraction optional) and an offset;
    /// ASCII digits only (`\\d` would take any script's digits, which `Int` then cannot read).
    nonisolated(unsafe) private static let shape =
        /(?<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ](?<hour>[0-9]{1,2}):(?<minute>[0-9]{2})(?::(?<second>[0-9]{2})(?:[.,](?<fraction>[0-9]{1,9}))?)?)?(?<zone>Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?/

    /// "Z", "+07:00", "+0700" or "+07" as seconds east of UTC; nil past ±14:00.
    private static func offsetSeconds(_ zone: Substring) -> Int? {
        if zone == "Z" || zone == "z" { return 0 }
        let sign = zone.first == "-" ? -1 : 1
        let digits = zone.dropFirst().filter { $0 != ":" }
        guard let h = Int(digits.prefix(2)), let m = digits.count > 2 ? Int(digits.dropFirst(2)) : 0,
              h <= 14, m < 60, h * 60 + m <= 14 * 60 else { return nil }
        return sign * (h * 3600 + m * 60)
    }

    /// "2026-12-01T12:00:00+07:00" in the shop's zone.
    public static func format(_ d: Date, clock: ShopClock) -> String {
        var style = Date.ISO8601FormatStyle(timeZone: clock.zone)
        style = style.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .colon)
        let s = d.formatted(style)
        return s.hasSuffix("Z") ? String(s.dropLast()) + "+00:00" : s
    }
}

/// `2026-12-01T08:15:00+07:00` (or `…Z`), the shape every export writes, read from its bytes
/// (Foundation's parsers were most of an order import's time). Anything else — fractions, other
/// separators, a local time — goes to `InstantFormat`'s grammar, which is as strict.
enum ISOInstant {
    static func parse(_ t: String) -> Date? {
        var t = t
        return t.withUTF8 { b -> Date? in
            guard b.count == 20 || b.count == 25 else { return nil }
            func digits(_ at: Int, _ n: Int) -> Int? {
                var v = 0
                for i in at..<(at + n) {
                    let d = Int(b[i]) - 48
                    guard (0...9).contains(d) else { return nil }
                    v = v * 10 + d
                }
                return v
            }
            guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
                  b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
                  let y = digits(0, 4), let mo = digits(5, 2), let d = digits(8, 2),
                  let h = digits(11, 2), let mi = digits(14, 2), let s = digits(17, 2),
                  (1...12).contains(mo), d >= 1, d <= LocalDate.daysIn(month: mo, year: y), h < 24, mi < 60, s < 60
            else { return nil }
            var offset = 0
            if b.count == 20 {
                guard b[19] == UInt8(ascii: "Z") else { return nil }
            } else {
                guard b[19] == UInt8(ascii: "+") || b[19] == UInt8(ascii: "-"), b[22] == UInt8(ascii: ":"),
                      let oh = digits(20, 2), let om = digits(23, 2), om < 60, oh * 60 + om <= 14 * 60 else { return nil }
                offset = (oh * 3600 + om * 60) * (b[19] == UInt8(ascii: "-") ? -1 : 1)
            }
            let days = LocalDate(year: y, month: mo, day: d).daysSinceEpoch
            return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + h * 3600 + mi * 60 + s - offset))
        }
    }
}

extension String {
    /// The text inside an XML or SVG element: `&`, `<` and `>` as entities.
    public var markupEscaped: String {
        replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
