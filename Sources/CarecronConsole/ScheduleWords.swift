import CarecronDomain
import CarecronStorage
import Foundation

/// A cron schedule as a marketer reads it ("every day at 09:00"), in the page's language; the
/// expression itself when it is not one of the usual shapes.
struct ScheduleWords {
    let words: [String: String]
    let language: Language

    /// A sentence of the catalogue in the page's language.
    func say(_ sentence: Sentence) -> String { sentence.text(language) }

    func describe(_ cron: String) -> String {
        let f = cron.split(separator: " ").map(String.init)
        guard f.count == 5 else { return cron }
        let (minute, hour, dom, month, dow) = (f[0], f[1], f[2], f[3], f[4])
        if f.allSatisfy({ $0 == "*" }) { return word("every_minute") }
        guard month == "*", let m = Int(minute) else { return cron }
        if hour == "*", dom == "*", dow == "*" { return word("every_hour_at", ["minute": String(format: "%02d", m)]) }
        let hours = hour.split(separator: ",").compactMap { Int($0) }
        guard !hours.isEmpty, hours.count == hour.split(separator: ",").count else { return cron }
        let times = hours.map { String(format: "%02d:%02d", $0, m) }.joined(separator: ", ")
        switch (dom, dow) {
        case ("*", "*"):
            return word("every_day_at", ["time": times])
        case ("*", _):
            let days = dow.split(separator: ",").compactMap { Int($0) }.map { word("weekday_\($0 % 7)") }
            guard !days.isEmpty else { return cron }
            return word("every_week_at", ["days": days.joined(separator: ", "), "time": times])
        case (_, "*"):
            guard let d = Int(dom) else { return cron }
            return word("every_month_at", ["day": String(d), "time": times])
        default:
            return cron
        }
    }

    /// An instant as "T7 28/11 09:00" (shop time).
    func instant(_ t: Date, clock: ShopClock) -> String {
        let d = clock.localDate(of: t)
        return "\(word("weekday_\(d.weekday)")) \(String(format: "%02d/%02d/%04d", d.day, d.month, d.year)) \(clock.timeOfDay(of: t))"
    }

    /// An outbox state as people say it (`state_sent`: "sent", "đã gửi").
    func state(_ s: OutboxState) -> String { word("state_\(s.rawValue)") }

    /// A word of the page's language with its `{name}`s filled, each once.
    func word(_ key: String, _ values: [String: String] = [:]) -> String {
        Sentence.fill(words[key] ?? key, values)
    }
}
