import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation

/// Every campaign with its next occasion (date with weekday and year, the lunar day where its
/// date is lunar), its state and its figures; one campaign with its preview (audience, who is
/// left out, messages by channel, cost, samples) and its next occasions.
struct CampaignsPage {
    let config: ShopConfig
    let jobs: [JobDefinition]
    let store: any CareStore
    let words: ScheduleWords

    var control: CampaignControl { CampaignControl(store: store, config: config, jobs: jobs) }

    struct Row: Encodable {
        let name: String
        let description: String
        let timing: String
        let occasion: String
        let state: String
        let stateCode: String
        let counts: [LabelledCount]
        let canPause: Bool
        let canResume: Bool
        let canCancel: Bool
    }

    struct Model: PageModel {
        let campaigns: [Row]
        let none: Bool
        var done: String?
    }

    func model(now: Date) async throws -> Model {
        var rows: [Row] = []
        for job in jobs where job.rules.audienceSending != nil {
            rows.append(try await row(job, now: now))
        }
        return Model(campaigns: rows, none: rows.isEmpty)
    }

    func row(_ job: JobDefinition, now: Date) async throws -> Row {
        let (o, state, status) = try await control.standing(job, at: now)
        var counts: [LabelledCount] = []
        if let run = status?.run { counts.append(LabelledCount(label: words.word("campaign_audience"), count: run.audience)) }
        for s in OutboxState.allCases { if let n = status?.messages[s], n > 0 { counts.append(LabelledCount(label: words.state(s), count: n)) } }
        return Row(name: job.name, description: job.description, timing: words.timing(job), occasion: o.map(occasionWords) ?? "",
                   state: words.say(state.sentence), stateCode: state.rawValue, counts: counts,
                   canPause: [.scheduled, .sending].contains(state) && o != nil, canResume: state == .paused,
                   canCancel: [.scheduled, .sending, .paused].contains(state) && o != nil)
    }

    /// "T3 16/02/2027 09:00 (mùng 1/1 âm lịch)": when it sends, with the lunar day of its occasion where the date is lunar.
    func occasionWords(_ o: CampaignOccurrence) -> String {
        let when = words.instant(o.start, clock: config.clock)
        guard let job = jobs.first(where: { $0.name == o.job }), let rules = job.rules.audienceSending as? CampaignRules,
              rules.when.occasions.contains(where: { if case .lunar = $0 { true } else { false } }) else { return when }
        let lunar = LunarCalendar.vietnam.lunarDate(of: o.occasion)
        return when + " " + words.word("campaign_lunar_day", ["day": String(lunar.day), "month": String(lunar.month),
                                                              "date": VietnameseFormat.date(o.occasion)])
    }

    /// One campaign: its row, its preview of the occasion at hand, and its next three occasions.
    struct DetailModel: PageModel {
        let campaign: Row
        let audience: Int
        let optedOut: Int
        let messages: Int
        let byChannel: [LabelledCount]
        let skipped: [LabelledCount]
        let smsSegments: Int
        let cost: String
        let costKnown: Bool
        let upcoming: [String]
        let samples: [PlanPage.Row]
        var hasSamples: Bool?
        var confirm: String?
        var confirmQuestion: String?
    }

    func detail(_ job: JobDefinition, now: Date, plan: PlanPage) async throws -> DetailModel {
        let row = try await row(job, now: now)
        let rules = job.rules.audienceSending!
        let upcoming = rules.occurrences(job, from: now, to: now.addingTimeInterval(3 * 366 * 86_400), clock: config.clock).prefix(3).map(occasionWords)
        guard let preview = try? await control.preview(job.name, at: now, samples: 3) else {
            return DetailModel(campaign: row, audience: 0, optedOut: 0, messages: 0, byChannel: [], skipped: [], smsSegments: 0, cost: "",
                               costKnown: false, upcoming: Array(upcoming), samples: [])
        }
        var model = DetailModel(
            campaign: row, audience: preview.audience.members, optedOut: preview.audience.optedOut, messages: preview.messages,
            byChannel: preview.byChannel.sorted { $0.key.rawValue < $1.key.rawValue }.map { LabelledCount(label: words.word("channel_\($0.key.rawValue)"), count: $0.value) },
            skipped: preview.skipped.sorted { $0.key < $1.key }.map { LabelledCount(label: words.word("skip_category_\($0.key.rawValue)"), count: $0.value) },
            smsSegments: preview.smsSegments, cost: VietnameseFormat.money(preview.totalCost), costKnown: !preview.cost.isEmpty,
            upcoming: Array(upcoming), samples: preview.samples.map { plan.row($0) })
        model.hasSamples = preview.samples.isEmpty ? nil : true
        return model
    }
}
