import Foundation

/// A step of upkeep that only the planning node does (retention, the outcomes' conversions): at
/// most once every `interval`, and again at the next pass while it says work is left.
final class LeaderChore: SchedulerStep {
    let interval: TimeInterval
    /// Does a part of the work; whether some is left.
    let work: (SchedulerPass) async throws -> Bool
    private var next: Date

    init(every interval: TimeInterval, startingAt: Date, work: @escaping (SchedulerPass) async throws -> Bool) {
        self.interval = interval
        self.work = work
        self.next = startingAt
    }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        guard pass.writes, pass.leads, pass.now >= next else { return nil }
        let left = try await work(pass)
        next = pass.now.addingTimeInterval(left ? 1 : interval)
        return left ? next : nil
    }
}
