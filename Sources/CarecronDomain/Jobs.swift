import Foundation

/// The kinds of job carecron runs (DOMAIN.md §1–§5).
public enum JobType: String, Sendable, CaseIterable, Codable {
    case paymentReminder = "payment-reminder"
    case orderExpiry = "order-expiry"
    case codConfirmation = "cod-confirmation"
    case birthday
    case postSaleCheckin = "post-sale-checkin"
    case tierUpgrade = "tier-upgrade"
}

/// What the law makes of a message (DOMAIN.md §7).
public enum Purpose: String, Sendable, CaseIterable, Codable {
    case transactional, care, marketing
}

/// The kinds of channel a job can prefer; config.json maps each to a configured sender.
public enum ChannelKind: String, Sendable, CaseIterable, Codable {
    case zalo, sms, email, webhook
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
    /// Use this variant only for orders of at least this amount (pick by amount, §1.4).
    public var minAmount: Int?

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

/// Each job type's own rules.
public enum JobRules: Sendable {
    case paymentReminder(PaymentReminderPolicy, combineOrders: Bool)
    case orderExpiry(notify: Bool)
    case codConfirmation(sendAfter: TimeSpan, deliveryDays: ClosedRange<Int>)
    /// Greets at the schedule's firings; a day missed is caught up the same day, never later.
    case birthday
    /// N days after delivery (or payment), at the schedule's firings.
    case postSaleCheckin(afterDays: Int)
    case tierUpgrade
}

/// One file of `jobs/`, checked and typed.
public struct JobDefinition: Sendable {
    public var name: String
    public var type: JobType
    public var description: String
    public var enabled: Bool
    public var schedule: CronSchedule
    public var purpose: Purpose
    public var channels: [ChannelKind]
    public var duringQuietHours: QuietHoursAction
    public var templates: [TemplateVariant]
    public var rules: JobRules

    public init(name: String, type: JobType, description: String, enabled: Bool, schedule: CronSchedule,
                purpose: Purpose, channels: [ChannelKind], duringQuietHours: QuietHoursAction,
                templates: [TemplateVariant], rules: JobRules) {
        self.name = name
        self.type = type
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
    /// The longest `afterDays` of the post-sale check-ins (3 without one): how far back the
    /// planner's queries look for delivered and paid orders.
    public var longestCheckinDelay: Int {
        compactMap { if case .postSaleCheckin(let d) = $0.rules { return d } else { return nil } }.max() ?? 3
    }
}
