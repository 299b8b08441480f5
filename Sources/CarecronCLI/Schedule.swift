import ArgumentParser
import CarecronConfig
import CarecronDomain
import Foundation

struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the next firing instants of a cron expression, as systemd-analyze calendar does.")

    @Argument(help: "a five-field cron expression or @hourly/@daily/@weekly/@monthly/@yearly") var expression: String
    @Option(help: "time zone (default: the shop's, from config.json, else Asia/Ho_Chi_Minh)") var tz: String?
    @Option(help: "start after this instant (ISO 8601; default: now)") var from: String?
    @Option(help: "how many instants") var count = 5
    @OptionGroup var options: ConfigOption

    func run() throws {
        let zoneName = tz ?? shopZone() ?? "Asia/Ho_Chi_Minh"
        guard let clock = ShopClock(zoneIdentifier: zoneName) else {
            throw ValidationError("unknown time zone \"\(zoneName)\"")
        }
        let schedule: CronSchedule
        do { schedule = try CronSchedule(expression) } catch { throw ValidationError("invalid schedule \"\(expression)\": \(error)") }
        var start = WallClock.system.now()
        if let from {
            guard let d = InstantFormat.parse(from, clock: clock) else { throw ValidationError("--from: \"\(from)\" is not an instant") }
            start = d
        }
        for instant in schedule.firings(after: start, count: count, clock: clock) {
            print(InstantFormat.format(instant, clock: clock))
        }
    }

    /// The shop's zone when a config is at hand; `schedule` works without one.
    private func shopZone() -> String? {
        guard FileManager.default.fileExists(atPath: options.url.path) else { return nil }
        return ConfigLoader.load(options.url).config?.clock.zone.identifier
    }
}
