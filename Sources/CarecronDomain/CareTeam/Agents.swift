import Foundation

/// A person of the care team (a console user with the role `agent`) and when they work.
public struct Agent: Sendable, Hashable {
    /// Their console login.
    public var login: String
    /// How orders and the console name them ("Mai", "Nguyễn Thị Mai"); the login when unset.
    public var displayName: String
    /// Their working hours each working day, in the shop's zone.
    public var hours: DailySpan
    /// Their working days, 0 = Sunday … 6 = Saturday.
    public var days: Set<Int>

    /// Monday to Saturday, as most Vietnamese shops' care teams work.
    public static let usualDays: Set<Int> = [1, 2, 3, 4, 5, 6]

    public init(login: String, displayName: String? = nil, hours: DailySpan, days: Set<Int> = Agent.usualDays) {
        self.login = login
        self.displayName = displayName ?? login
        self.hours = hours
        self.days = days
    }

    /// Whether they are at work at `t` (a shift past midnight belongs to the day it began).
    public func onShift(at t: Date, clock: ShopClock) -> Bool {
        let time = clock.timeOfDay(of: t)
        guard hours.contains(time) else { return false }
        var day = clock.localDate(of: t)
        if hours.wrapsMidnight, time < hours.to { day = day.adding(days: -1) }
        return days.contains(day.weekday)
    }

    /// The first instant at or after `t` at which they are at work; nil if they never work.
    public func nextAtWork(atOrAfter t: Date, clock: ShopClock) -> Date? {
        if onShift(at: t, clock: clock) { return t }
        var start = clock.nextOccurrence(of: hours.from, atOrAfter: t)
        for _ in 0..<8 {
            if onShift(at: start, clock: clock) { return start }
            start = clock.nextOccurrence(of: hours.from, atOrAfter: start.addingTimeInterval(60))
        }
        return nil
    }

    /// Whether an order's or a customer's agent field names them: by login or display name,
    /// without case or accents ("mai", "Mai", "MAI", "Nguyễn Thị Mai").
    public func isNamed(_ name: String) -> Bool {
        let n = SearchText.fold(name)
        return !n.isEmpty && (n == SearchText.fold(login) || n == SearchText.fold(displayName))
    }
}

/// Why a call went to its agent: the rule of issue 29, in order.
public enum AssignmentRule: String, Sendable, CaseIterable {
    /// The agent the order names (the person who advised the customer).
    case order
    /// The agent of the customer's latest order that names one: their own agent.
    case customer
    /// Nobody named, or the one named is away: whoever on shift has the fewest open calls.
    case leastLoaded = "least_loaded"
}

/// The care team, and who takes a call.
public struct AgentRoster: Sendable {
    public var agents: [Agent]

    public init(_ agents: [Agent]) { self.agents = agents.sorted { $0.login < $1.login } }

    public var isEmpty: Bool { agents.isEmpty }

    public func agent(_ login: String) -> Agent? { agents.first { $0.login == login } }

    /// The agent a name refers to, if any.
    public func named(_ name: String?) -> Agent? {
        guard let name, !name.isEmpty else { return nil }
        return agents.first { $0.isNamed(name) }
    }

    /// Who takes a call at `t`: the order's agent, else the customer's own agent, unless away
    /// that day; else whoever is on shift with the fewest open calls (`loads`); when nobody is
    /// on shift, whoever starts work first, the least loaded of them. Ties go by login, so two
    /// nodes deciding alike agree.
    public func assign(orderAgent: String?, customerAgent: String?, loads: [String: Int], away: Set<String>,
                       at t: Date, clock: ShopClock) -> (agent: Agent, rule: AssignmentRule)? {
        for (name, rule) in [(orderAgent, AssignmentRule.order), (customerAgent, .customer)] {
            if let a = named(name), !away.contains(a.login) { return (a, rule) }
        }
        let present = agents.filter { !away.contains($0.login) }
        let onShift = present.filter { $0.onShift(at: t, clock: clock) }
        let pool: [Agent]
        if !onShift.isEmpty {
            pool = onShift
        } else {
            let starts = present.compactMap { a in a.nextAtWork(atOrAfter: t, clock: clock).map { (a, $0) } }
            guard let first = starts.map(\.1).min() else { return nil }
            pool = starts.filter { $0.1 == first }.map(\.0)
        }
        return pool.min { (loads[$0.login] ?? 0, $0.login) < (loads[$1.login] ?? 0, $1.login) }.map { ($0, .leastLoaded) }
    }
}
