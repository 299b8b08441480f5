import CarecronDomain
import Foundation

/// A job's timing in the page's language: cron schedules as `describe` reads them, a campaign's
/// occasion ("ngày 1/1 âm lịch, 3 ngày trước, lúc 09:00") from its `when` and `spread`.
extension ScheduleWords {
    func timing(_ job: JobDefinition) -> String {
        guard let campaign = job.rules.audienceSending else { return describe(job.schedule.description) }
        var parts = [campaign.when.occasions.map(occasion).joined(separator: ", ")]
        let n = abs(campaign.when.offsetDays)
        if campaign.when.offsetDays != 0 {
            let side = campaign.when.offsetDays < 0 ? "before" : "after"
            parts.append(word(n == 1 ? "campaign_day_\(side)" : "campaign_days_\(side)", ["n": String(n)]))
        }
        parts.append(word("campaign_at", ["time": campaign.when.time.description]))
        if campaign.spread.seconds > 0 {
            parts.append(word("campaign_spread", ["spread": language == .vi ? VietnameseFormat.span(campaign.spread) : campaign.spread.description]))
        }
        return parts.joined(separator: ", ")
    }

    func occasion(_ o: CampaignWhen.Occasion) -> String {
        switch o {
        case .once(let d):
            return String(format: "%02d/%02d/%04d", d.day, d.month, d.year)
        case .yearly(let month, let day):
            return word("campaign_yearly", ["day": String(day), "month": String(month)])
        case .lunar(let month, let day, let leap):
            return word(leap ? "campaign_lunar_leap" : "campaign_lunar", ["day": String(day), "month": String(month)])
        }
    }
}
