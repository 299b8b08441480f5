import Foundation

/// A length of time written the way marketers write it in job files: "10m", "3h", "1h30m",
/// "24h", "3d", "45s".
public struct TimeSpan: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let seconds: Int

    public init(seconds: Int) { self.seconds = seconds }
    public static func seconds(_ s: Int) -> TimeSpan { TimeSpan(seconds: s) }
    public static func minutes(_ m: Int) -> TimeSpan { TimeSpan(seconds: m * 60) }
    public static func hours(_ h: Int) -> TimeSpan { TimeSpan(seconds: h * 3600) }
    public static func days(_ d: Int) -> TimeSpan { TimeSpan(seconds: d * 86_400) }

    public init?(_ text: String) {
        let units: [Character: Int] = ["d": 86_400, "h": 3600, "m": 60, "s": 1]
        var total = 0, number = "", sawUnit = false
        for ch in text.trimmedSpaces {
            if ch.isASCII, ch.isNumber {
                number.append(ch)
            } else if let unit = units[ch], number.count <= 9, let n = Int(number) {
                total += n * unit
                number = ""
                sawUnit = true
            } else {
                return nil
            }
        }
        guard sawUnit, number.isEmpty, total <= Self.longest.seconds else { return nil }
        seconds = total
    }

    /// The longest span a file or an option may give: ten years. Longer is a typo, and bounding it
    /// keeps every date computed from a span within the calendar.
    public static let longest = TimeSpan.days(3650)

    public var interval: TimeInterval { TimeInterval(seconds) }

    public var description: String {
        if seconds == 0 { return "0m" }
        var rest = seconds, out = ""
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.seconds < b.seconds }
}
