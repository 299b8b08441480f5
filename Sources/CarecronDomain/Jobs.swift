import Foundation

/// What the law makes of a message (DOMAIN.md §7).
public enum Purpose: String, Sendable, CaseIterable, Codable {
    case transactional, care, marketing

    /// Due messages go out in this order: the customer's own order before a care message
    /// before advertising, so that a campaign's backlog never holds up a payment reminder.
    public var sendingPriority: Int {
        switch self {
        case .transactional: return 0
        case .care: return 1
        case .marketing: return 2
        }
    }
}

/// The kinds of channel a job can prefer; config.json maps each to a configured sender.
public enum ChannelKind: String, Sendable, CaseIterable, Codable {
    case zalo, sms, email, webhook
    /// A person of the care team calls the customer, the rendered template as the script
    /// (Calls/): carried by the care team's lists, not by a sender of config.json.
    case call

    /// Whether config.json's `channels` must name a sender for it.
    public var needsSender: Bool { self != .call }
}

/// What happens to a message that falls due inside quiet hours.
public enum QuietHoursAction: String, Sendable, CaseIterable, Codable {
    case wait, drop
}

/// One numbered variant of a job's message, with its per-channel forms.
public struct TemplateVariant: Sendable {
    public var text: MessageTemplate
    public var sms: MessageTemplate?
    public var smsUnaccented: Bool
    public var emailSubject: MessageTemplate?
    public var emailBody: MessageTemplate?
    public var emailHTML: MessageTemplate?
    public var zaloTemplateId: String?
    public var zaloParams: [String: MessageTemplate]
    /// Zalo's length limit of each parameter, by its declared type or the template's `listParams`.
    public var zaloParamLimits: [String: ZaloParamLimit] = [:]
    /// What the agent says on the phone (`"call"`), when it differs from `text`.
    public var callScript: MessageTemplate?
    /// Use this variant only for orders of at least this amount (pick by amount, §1.4).
    public var minAmount: Int?
    /// Use this variant only for customers of these tiers, or of this tier and above (campaigns).
    public var tiers: [String]?
    public var minTier: String?

    public init(text: MessageTemplate, sms: MessageTemplate? = nil, smsUnaccented: Bool = false,
                emailSubject: MessageTemplate? = nil, emailBody: MessageTemplate? = nil,
                emailHTML: MessageTemplate? = nil, zaloTemplateId: String? = nil,
                zaloParams: [String: MessageTemplate] = [:], minAmount: Int? = nil) {
        self.text = text
        self.sms = sms
        self.smsUnaccented = smsUnaccented
        self.emailSubject = emailSubject
        self.emailBody = emailBody
        self.emailHTML = emailHTML
        self.zaloTemplateId = zaloTemplateId
        self.zaloParams = zaloParams
        self.minAmount = minAmount
    }
}

/// One file of `jobs/`, checked and typed.
public struct JobDefinition: Sendable {
    public var name: String
    public var description: String
    public var enabled: Bool
    public var schedule: CronSchedule
    public var purpose: Purpose
    public var channels: [ChannelKind]
    public var duringQuietHours: QuietHoursAction
    public var templates: [TemplateVariant]
    /// Its type's rules: what the type plans and checks (JobTypes/).
    public var rules: any JobRules
    /// How long a message sent on a channel waits for its delivery receipt before the next
    /// channel of `channels` sends the same occurrence (DeliveryFallback.swift).
    public var fallbackAfter: [ChannelKind: TimeSpan] = [:]
    /// Its control group, if it has one (Holdout.swift).
    public var holdout: Holdout?
    /// The window of its goal, where the file sets its own (Outcomes/Goals.swift).
    public var goalWithin: TimeSpan?
    /// Its variants as an A/B experiment (Outcomes/Experiment.swift).
    public var experiment: Experiment?
    /// Which occurrences are calls, and where they stand on an agent's list (Calls/CallRules.swift).
    public var call: CallSettings?

    public var type: JobType { rules.type }

    public init(name: String, description: String, enabled: Bool, schedule: CronSchedule,
                purpose: Purpose, channels: [ChannelKind], duringQuietHours: QuietHoursAction,
                templates: [TemplateVariant], rules: any JobRules) {
        self.name = name
        self.description = description
        self.enabled = enabled
        self.schedule = schedule
        self.purpose = purpose
        self.channels = channels
        self.duringQuietHours = duringQuietHours
        self.templates = templates
        self.rules = rules
    }
}

/// A membership tier (DOMAIN.md §5, `003_…txt`): from what total spend it applies and what it gives.
public struct Tier: Sendable, Hashable {
    public var name: String
    public var minSpend: Int
    public var discount: String
    public var gift: String
    public var benefits: String

    public init(name: String, minSpend: Int, discount: String, gift: String, benefits: String) {
        self.name = name
        self.minSpend = minSpend
        self.discount = discount
        self.gift = gift
        self.benefits = benefits
    }
}

extension Array where Element == JobDefinition {
    /// How far back the planner's queries look for delivered and paid orders: from the shortest
    /// to the longest delay any job counts from a delivery (a check-in's, a survey's), 3 days
    /// without one.
    public var orderHistoryDays: ClosedRange<Int> {
        let days = compactMap(\.rules.orderHistoryDays)
        guard let low = days.min(), let high = days.max() else { return 3...3 }
        return low...high
    }

    /// Whether any of them reads unpaid orders from before every replay (`JobRules.readsOverdueOrders`).
    public var readsOverdueOrders: Bool { contains { $0.rules.readsOverdueOrders } }
}
