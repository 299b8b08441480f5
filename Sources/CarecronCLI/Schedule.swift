import ArgumentParser
import CarecronConfig
import CarecronDelivery
import CarecronDomain
import Foundation

struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the next firing instants of a cron expression (or of a lunar day), as systemd-analyze calendar does.",
        discussion: "carecron schedule '0 9 * * *'  ·  carecron schedule --lunar 1/1 --time 09:00 --count 5 (Tết, on the Vietnamese lunar calendar)")

    @Argument(help: "a five-field cron expression or @hourly/@daily/@weekly/@monthly/@yearly") var expression: String?
    @Option(help: "a lunar day instead of a cron expression: DAY/MONTH (\"1/1\" is Tết, \"15/8\" Mid-Autumn); a leap month as DAY/MONTHL") var lunar: String?
    @Option(help: "with --lunar: the time of day (default 00:00)") var time: String?
    @Option(help: "with --lunar: days from the lunar day (-3: three days before)") var offsetDays = 0
    @Option(help: "time zone (default: the shop's, from config.json, else Asia/Ho_Chi_Minh)") var tz: String?
    @Option(help: "start after this instant (ISO 8601; default: now)") var from: String?
    @Option(help: "how many instants (at most \(Schedule.mostFirings))") var count = 5
    @OptionGroup var options: ConfigOption

    func run() throws {
        let zoneName = tz ?? shopZone() ?? "Asia/Ho_Chi_Minh"
        guard let clock = ShopClock(zoneIdentifier: zoneName) else {
            throw ValidationError("unknown time zone \"\(zoneName)\"")
        }
        var start = WallClock.system.now()
        if let from {
            guard let d = InstantFormat.parse(from, clock: clock) else { throw ValidationError("--from: \"\(from)\" is not an instant") }
            start = d
        }
        // Printed as they are found: a long list starts at once and is never held whole.
        try firings(after: start, clock: clock) { print(InstantFormat.format($0, clock: clock)) }
    }

    /// Ten thousand: nearly thirty years of a daily job, more than anyone reads.
    static let mostFirings = 10_000

    func validate() throws {
        guard (expression == nil) != (lunar == nil) else { throw ValidationError("give a cron expression or --lunar DAY/MONTH (one of them)") }
        if lunar == nil, time != nil || offsetDays != 0 { throw ValidationError("--time and --offset-days go with --lunar") }
        guard (1...Self.mostFirings).contains(count) else {
            throw ValidationError("--count: \(count) is not between 1 and \(Self.mostFirings), the most carecron lists at once; start later with --from for more")
        }
    }

    func firings(after start: Date, clock: ShopClock, _ each: (Date) -> Void) throws {
        if let expression {
            let schedule: CronSchedule
            do { schedule = try CronSchedule(expression) } catch {
                throw ValidationError("invalid schedule \"\(expression)\": \(error)")
            }
            schedule.forEachFiring(after: start, count: count, clock: clock, each)
            return
        }
        let text = lunar ?? ""
        guard let m = text.wholeMatch(of: /([0-9]{1,2})\/([0-9]{1,2})([Ll]?)/), let day = Int(m.1), let month = Int(m.2),
              (1...30).contains(day), (1...12).contains(month) else {
            throw ValidationError("--lunar: \"\(text)\" is not a lunar day; write DAY/MONTH, e.g. 1/1 for Tết or 15/8 for Mid-Autumn")
        }
        var at = TimeOfDay(minutes: 0)
        if let time {
            guard let t = TimeOfDay(time) else { throw ValidationError("--time: \"\(time)\" is not a time of day; write e.g. 09:00") }
            at = t
        }
        let when = CampaignWhen(occasions: [.lunar(month: month, day: day, leap: !m.3.isEmpty)], time: at, offsetDays: offsetDays)
        when.firings(after: start, count: count, clock: clock).forEach(each)
    }

    /// The shop's zone when a config is at hand; `schedule` works without one.
    private func shopZone() -> String? {
        guard FileManager.default.fileExists(atPath: options.url.path) else { return nil }
        return ConfigLoader.load(options.url).config?.clock.zone.identifier
    }
}
