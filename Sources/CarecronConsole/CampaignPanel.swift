import CarecronDelivery
import CarecronDomain
import Foundation

/// What a campaign's form shows beside its fields as one edits them: who the audience takes and
/// who is left out, its next three occasions, the messages and their cost in đồng.
struct CampaignPanel: Encodable {
    let members: Int
    let optedOut: Int
    let leftOut: [LabelledCount]
    let upcoming: [String]
    let messages: Int?
    let cost: String?
    /// Counted, not previewed: the advertising cap is applied when it sends (said so).
    var capLater: Bool?

    /// A preview of every message up to this audience; above it the cost is estimated from the
    /// count (a preview of a million customers per keystroke would not answer in time).
    static let previewedUpTo = 50_000

    static func make(_ job: JobDefinition, page: CampaignsPage, now: Date, previewUpTo: Int = previewedUpTo) async throws -> CampaignPanel? {
        guard let rules = job.rules.audienceSending else { return nil }
        let words = page.words, config = page.config
        let control = CampaignControl(store: page.store, config: config, jobs: page.jobs.filter { $0.name != job.name } + [job])
        let occasions = rules.occurrences(job, from: now, to: now.addingTimeInterval(3 * 366 * 86_400), clock: config.clock).prefix(3)
        let upcoming = occasions.map(page.occasionWords)
        guard let next = occasions.first else {
            return CampaignPanel(members: 0, optedOut: 0, leftOut: [], upcoming: [], messages: nil, cost: nil)
        }
        let count = try await control.count(rules.audience, purpose: job.purpose, at: next.start, channels: job.channels)
        guard count.members <= previewUpTo, let preview = try? await control.preview(job.name, at: now, samples: 0) else {
            // Counted, not previewed: who has no address is a count; the advertising cap depends
            // on the day's other messages and is applied when the campaign writes its pages.
            let reached = count.members - count.unreachable
            let price = job.channels.lazy.compactMap { config.prices[$0] }.first
            var leftOut: [LabelledCount] = []
            if count.unreachable > 0 { leftOut.append(LabelledCount(label: words.word("skip_category_no_address"), count: count.unreachable)) }
            return CampaignPanel(members: count.members, optedOut: count.optedOut, leftOut: leftOut, upcoming: upcoming, messages: nil,
                                 cost: price.map { words.word("campaign_cost_about", ["cost": VietnameseFormat.money(min($0.multipliedReportingOverflow(by: reached).partialValue, Money.maximum))]) },
                                 capLater: job.purpose == .marketing ? true : nil)
        }
        return CampaignPanel(
            members: count.members, optedOut: count.optedOut,
            leftOut: preview.skipped.sorted { $0.key < $1.key }.map { LabelledCount(label: words.word("skip_category_\($0.key.rawValue)"), count: $0.value) },
            upcoming: upcoming, messages: preview.messages,
            cost: preview.cost.isEmpty ? nil : VietnameseFormat.money(preview.totalCost))
    }
}
