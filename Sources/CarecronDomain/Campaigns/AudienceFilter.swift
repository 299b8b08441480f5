import Foundation

/// Which customers a campaign speaks to (`audience` in its job file): every condition optional,
/// all of them combined with AND. Opt-outs always apply on top (`Purpose`), and a forgotten
/// customer is gone from the store, so never in an audience.
///
/// Purchases are the customer's paid orders that were not cancelled or returned, by the time
/// they were placed; periods ("365d") reach back from the campaign's start.
public struct AudienceFilter: Sendable, Equatable {
    /// Membership tiers by name; a customer without one counts as the entry tier (from 0₫).
    public var tiers: [String]?
    /// Total paid over the purchases (over `within`, when given; lifetime otherwise).
    public var spentAtLeast: Int?
    public var spentBelow: Int?
    /// How many purchases (over `within`, when given).
    public var ordersAtLeast: Int?
    /// The period `spentAtLeast`, `spentBelow` and `ordersAtLeast` count over.
    public var within: TimeSpan?
    /// The last purchase no older than this.
    public var lastOrderWithin: TimeSpan?
    /// A purchase, the last one older than this (a win-back).
    public var lastOrderBefore: TimeSpan?
    /// Born in one of these months (1–12).
    public var birthdayMonths: [Int]?
    public var genders: [Gender]?
    /// An address for each of these channels.
    public var hasChannels: [ChannelKind]?
    /// Only these customers (a list in the file, or a file of ids).
    public var customerIds: [String]?

    public init() {}

    /// Whether anything but opt-outs narrows the audience.
    public var isEveryone: Bool { self == AudienceFilter() }

    /// The purchases' window of `within` and the last-order bounds, as instants, for a campaign starting at `at`.
    public func since(_ span: TimeSpan?, at: Date) -> Date? { span.map { at.addingTimeInterval(-$0.interval) } }

    /// The meaning of the filter, for one customer and their purchases as of `at`: what the
    /// store's queries must agree with (`StoreContractTests` checks them against this).
    public func matches(_ customer: CustomerSnapshot, purchases: [Purchase], at: Date, entryTier: String?,
                        purpose: Purpose) -> Bool {
        guard customer.accepts(purpose) else { return false }
        if let tiers, !tiers.contains(customer.facts.tier ?? entryTier ?? "") { return false }
        let counted = purchases.filter { p in p.placedAt < at && (since(within, at: at).map { p.placedAt >= $0 } ?? true) }
        let spent = Money.total(counted.lazy.map(\.amount))
        if let spentAtLeast, spent < spentAtLeast { return false }
        if let spentBelow, spent >= spentBelow { return false }
        if let ordersAtLeast, counted.count < ordersAtLeast { return false }
        let last = purchases.filter { $0.placedAt < at }.map(\.placedAt).max()
        if let limit = since(lastOrderWithin, at: at), !(last.map { $0 >= limit } ?? false) { return false }
        if let limit = since(lastOrderBefore, at: at), !(last.map { $0 < limit } ?? false) { return false }
        if let birthdayMonths, !(customer.birthMonthDay.flatMap { Int($0.prefix(2)) }.map(birthdayMonths.contains) ?? false) { return false }
        if let genders, !genders.contains(customer.facts.gender) { return false }
        if let hasChannels, !hasChannels.allSatisfy({ MessageComposer.contact(for: $0, customer) != nil }) { return false }
        if let customerIds, !customerIds.contains(customer.id) { return false }
        return true
    }

    /// One purchase, as the filter counts it.
    public struct Purchase: Sendable {
        public let placedAt: Date
        public let amount: Int

        public init(placedAt: Date, amount: Int) {
            self.placedAt = placedAt
            self.amount = amount
        }
    }
}

/// An audience a job needs from the store: its filter as of an instant, for the purpose's opt-outs.
public struct AudienceRequest: Sendable, Equatable {
    /// The key the planner finds the audience under in `PlanningInput.audiences`.
    public let key: String
    public let filter: AudienceFilter
    public let at: Date
    public let purpose: Purpose
    /// The entry tier's name: a customer without a tier counts as it.
    public let entryTier: String?
    /// The campaign's channels, for counting who has an address for none of them (the form's
    /// live count); nil: not counted.
    public let channels: [ChannelKind]?

    public init(key: String, filter: AudienceFilter, at: Date, purpose: Purpose, entryTier: String?, channels: [ChannelKind]? = nil) {
        self.key = key
        self.filter = filter
        self.at = at
        self.purpose = purpose
        self.entryTier = entryTier
        self.channels = channels
    }
}
