import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation

/// Each job at a glance: type, purpose, whether it runs, its schedule in words and next runs,
/// its last message, the last 7 days' messages by outcome, and whether its file validates.
struct JobsPage {
    let config: ShopConfig
    let jobs: [JobDefinition]
    let store: any CareStore
    let words: ScheduleWords

    struct Model: PageModel {
        /// A job file: its name and problems always; the rest only when it loads.
        struct Row: Encodable {
            struct Count: Encodable {
                let state: String
                let count: Int
            }

            let name: String
            let problems: [String]
            let valid: Bool
            var type: String?
            var purpose: String?
            var enabled: Bool?
            var schedule: String?
            var scheduleWords: String?
            var description: String?
            var channels: String?
            var onOrders: Bool?
            var next: [String]?
            var last: String?
            var total: Int?
            var week: [Count]?
            /// A campaign's state (paused, cancelled…), whoever paused it.
            var campaignState: String?
            var campaignStateCode: String?
        }

        let jobs: [Row]
    }

    func model(now: Date) async throws -> Model {
        let clock = config.clock
        let last = try await store.outbox.lastPlannedByJob()
        let week = try await store.outbox.countsByJob(since: now.addingTimeInterval(-7 * 86_400))
        // Every file of jobs/, valid or not: a file with errors is listed with them, not hidden.
        let loaded = ConfigLoader.load(config.file)
        var problems: [String: [String]] = [:]
        let folder = config.jobsFolder.standardizedFileURL.path
        for d in loaded.diagnostics {
            // Diagnostics name files as `validate` prints them (relative to the working folder).
            let file = URL(fileURLWithPath: d.file).standardizedFileURL
            guard file.deletingLastPathComponent().path == folder, file.pathExtension == "json" else { continue }
            problems[file.deletingPathExtension().lastPathComponent, default: []]
                .append("\(d.path): \(d.severity == .warning ? "warning: " : "")\(d.message)")
        }
        let names = Set(jobs.map(\.name)).union(problems.keys).sorted()
        let byName = Dictionary(jobs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let control = CampaignControl(store: store, config: config, jobs: jobs)
        var campaignStates: [String: CampaignState] = [:]
        for job in jobs where job.rules.audienceSending != nil { campaignStates[job.name] = try await control.standing(job, at: now).1 }
        return Model(jobs: names.map { name -> Model.Row in
            var row = Model.Row(name: name, problems: problems[name] ?? [], valid: byName[name] != nil)
            guard let job = byName[name] else { return row }
            let cron = job.rules.takesSchedule
            let everyMinute = cron && job.schedule.description == "* * * * *"
            row.type = job.type.rawValue
            row.purpose = job.purpose.rawValue
            row.enabled = job.enabled
            row.schedule = cron ? job.schedule.description : ""
            row.scheduleWords = words.timing(job)
            row.description = job.description
            row.channels = job.channels.map(\.rawValue).joined(separator: ", ")
            row.onOrders = everyMinute
            // A campaign switched off already says "No" beside it; its other states are news.
            if let state = campaignStates[name], state != .disabled {
                row.campaignState = words.say(state.sentence)
                row.campaignStateCode = state.rawValue
            }
            row.next = job.enabled && !everyMinute ? job.rules.runs(job, after: now, count: 5, clock: clock).map { words.instant($0, clock: clock) } : []
            if let (at, total) = last[name] { row.last = words.instant(at, clock: clock); row.total = total }
            row.week = OutboxState.allCases.compactMap { state -> Model.Row.Count? in
                guard let n = week[name]?[state], n > 0 else { return nil }
                return Model.Row.Count(state: words.state(state), count: n)
            }
            return row
        })
    }
}
