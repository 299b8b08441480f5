import CarecronConfig
import CarecronDelivery
import CarecronStorage
import Foundation
import Logging

/// One part of the scheduler's pass (taking over planning, catch-up, planning, campaign pages,
/// sending, purging, the heartbeat): `CareService` runs them in order on every pass and sleeps
/// until the earliest time one of them asks for (recovery runs once, before the first pass). A
/// new kind of periodic work is a new step.
protocol SchedulerStep: AnyObject {
    /// Does this step's part of the pass; when it next wants to run, if it knows (the loop wakes
    /// at least once a heartbeat interval anyway).
    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date?
}

/// What one pass of the loop sees: the time, the configuration it runs on, whether this node
/// plans, and how to tell that the service is stopping.
struct SchedulerPass {
    let now: Date
    let runtime: Runtime
    /// Whether this node plans (always on SQLite; on PostgreSQL while it leads). Every node sends.
    let leads: Bool
    /// Whether the pass writes (false in a dry run, which only shows what it would do).
    let writes: Bool
    /// New data arrived since the last pass (an API write, a reload): plan afresh.
    let fresh: Bool
    let keepGoing: @Sendable () -> Bool
}

/// What the steps share from one pass to the next.
final class SchedulerState {
    /// The store's last heartbeat: where planning picks up.
    var lastSeen: Date?
    /// The planner's events already computed, until the data or the hour changes.
    var memo: PlanMemo?
    /// Since when this node plans.
    var planning: PlanningTenure
    /// An outage is behind this node: the orders' own messages go first, once.
    var catchingUp: Bool

    init(lastSeen: Date?, upSince: Date, catchingUp: Bool) {
        self.lastSeen = lastSeen
        self.planning = PlanningTenure(upSince: upSince)
        self.catchingUp = catchingUp
    }
}

/// When this node began planning: at start-up on its own store; when it took over from another
/// node on a shared one.
struct PlanningTenure {
    private(set) var since: Date
    private var leading = false
    private var first = true

    init(upSince: Date) { since = upSince }

    /// Records whether this node plans now; true when it has just taken over from another node
    /// (not at its own start, which the start-up's catch-up covers).
    mutating func update(leads: Bool, now: Date) -> Bool {
        defer { leading = leads; first = false }
        guard leads, !leading else { return false }
        if first { return false }
        since = now
        return true
    }
}
