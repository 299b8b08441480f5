import CarecronDomain
import Foundation

/// The time zone to suggest for an unknown name. Vietnamese shops write their zone by the city
/// or the offset ("Asia/Hanoi", "ICT", "UTC+7"); spelling distance alone would answer
/// Asia/Harbin, which is UTC+8 and in China.
enum ZoneSuggestion {
    static let vietnam = "Asia/Ho_Chi_Minh"

    static let vietnameseAliases: Set<String> = [
        "asia/hanoi", "hanoi", "ha noi", "hà nội", "asia/ha_noi", "asia/saigon", "saigon", "ho chi minh", "asia/hochiminh",
        "vietnam", "viet nam", "việt nam", "ict", "indochina time", "gmt+7", "utc+7", "gmt+07", "utc+07", "gmt+07:00",
        "utc+07:00", "+07:00", "+0700", "+07", "utc+0700", "gmt+0700",
    ]

    static func closest(to name: String) -> String? {
        let key = name.trimmedSpaces.lowercased()
        if vietnameseAliases.contains(key) { return vietnam }
        return Suggest.closest(to: name, among: TimeZone.knownTimeZoneIdentifiers)
    }
}
