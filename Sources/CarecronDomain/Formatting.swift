import Foundation

/// How amounts and times are shown to Vietnamese customers.
public enum VietnameseFormat {
    /// 1250000 → "1.250.000₫".
    public static func money(_ dong: Int) -> String {
        let digits = String(abs(dong))
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
}

/// Instants as they appear in files and on the command line.
public enum InstantFormat {
    /// ISO 8601 with an offset, or a local shop time without one ("2026-12-01T08:15:00",
    /// "2026-12-01 08:15"), read in the shop's zone.
    public static func parse(_ text: String, clock: ShopClock) -> Date? {
        let t = text.trimmedSpaces
        if let d = ISOInstant.parse(t) { return d }
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(t) { return d }
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(t) { return d }
        if t.hasSuffix("Z") || t.range(of: #"[+-]\d\d:?\d\d$"#, options: .regularExpression) != nil,
           t.count > 10, let d = parseOffset(t) { return d }
        return parseLocal(t, clock: clock)
    }

    private static func parseOffset(_ t: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        for pattern in ["yyyy-MM-dd'T'HH:mmXXXXX", "yyyy-MM-dd HH:mm:ssXXXXX", "yyyy-MM-dd HH:mmXXXXX"] {
            f.dateFormat = pattern
            if let d = f.date(from: t) { return d }
        }
        return nil
    }

    private static func parseLocal(_ t: String, clock: ShopClock) -> Date? {
        let m = t.wholeMatch(of: /(\d{4}-\d{2}-\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?/)
        guard let m, let date = LocalDate(iso: String(m.1)) else { return nil }
        let h = m.2.flatMap { Int($0) } ?? 0, min = m.3.flatMap { Int($0) } ?? 0, s = m.4.flatMap { Int($0) } ?? 0
        guard (0..<24).contains(h), (0..<60).contains(min), (0..<60).contains(s) else { return nil }
        return clock.instant(of: date, TimeOfDay(hour: h, minute: min)).addingTimeInterval(TimeInterval(s))
    }

    /// "2026-12-01T12:00:00+07:00" in the shop's zone.
    public static func format(_ d: Date, clock: ShopClock) -> String {
        var style = Date.ISO8601FormatStyle(timeZone: clock.zone)
        style = style.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .colon)
        let s = d.formatted(style)
        return s.hasSuffix("Z") ? String(s.dropLast()) + "+00:00" : s
    }
}

/// `2026-12-01T08:15:00+07:00` (or `…Z`), the shape every export writes, read from its bytes.
/// Anything else — fractions, other separators, out-of-range fields — is left to Foundation's
/// parsers, which were most of an order import's time.
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
                      let oh = digits(20, 2), let om = digits(23, 2), oh <= 14, om < 60 else { return nil }
                offset = (oh * 3600 + om * 60) * (b[19] == UInt8(ascii: "-") ? -1 : 1)
            }
            let days = LocalDate(year: y, month: mo, day: d).daysSinceEpoch
            return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + h * 3600 + mi * 60 + s - offset))
        }
    }
}
