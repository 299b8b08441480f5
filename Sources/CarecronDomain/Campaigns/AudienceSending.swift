import Foundation

/// What a job type that sends to an audience on occasions of its own provides (a campaign:
/// `CampaignRules`). A type has every part of it by conforming; nothing else in `JobRules` is
/// about campaigns. The planner fetches its audiences (`audiences`, and plans `lookahead` past a
/// span for its cap); the running service writes an occasion's audience to the outbox a page at
/// a time (`CampaignStep`) instead of through the planner's step; `campaign pause`, `resume`,
/// `cancel` and `status` act on its occasions; under the advertising cap its messages give way to
/// every other advertising message; its template variants are chosen by the customer's tier;
/// and it goes out at its occasions, not on a cron schedule.
public protocol AudienceSending: Sendable {
    /// Which customers an occasion's messages go to.
    var audience: AudienceFilter { get }
    /// When: its occasions and the time of day.
    var when: CampaignWhen { get }
    /// How long an occasion's sending is spread over (0: all at its time).
    var spread: TimeSpan { get }

    /// Its occasions whose sending window meets [from, to).
    func occurrences(_ job: JobDefinition, from: Date, to: Date, clock: ShopClock) -> [CampaignOccurrence]

    /// The audiences the planner fetches for [from, to) (`PlanningInput.audiences`, by key).
    func audiences(_ job: JobDefinition, from: Date, to: Date, shop: CarePolicy) -> [AudienceRequest]

    /// How far past a span the other jobs must be planned for its decisions (the cap).
    var lookahead: TimeInterval { get }

    /// The messages of one page of an occasion's audience (members in id order, the first being
    /// the `firstIndex`-th of `total`), each at its slot of the spread from `base`.
    func events(_ job: JobDefinition, _ o: CampaignOccurrence, base: Date, total: Int, firstIndex: Int,
                members: [CustomerSnapshot], span: PlanningSpan) -> [PlannedEvent]
}

extension JobRules {
    /// The type's audience sending, if it sends to audiences (a campaign); nil for a type that
    /// plans from the shop's orders and customers on a cron schedule.
    public var audienceSending: (any AudienceSending)? { self as? any AudienceSending }

    /// Whether job files of the type have a cron `schedule` (an audience sender has its occasions instead).
    public var takesSchedule: Bool { Self.takesSchedule }

    public static var takesSchedule: Bool { !(Self.self is any AudienceSending.Type) }
}
