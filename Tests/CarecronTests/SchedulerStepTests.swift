import CarecronConfig
import CarecronDelivery
import CarecronDomain
@testable import CarecronService
@_spi(Bench) import CarecronSQLite
import CarecronStorage
import Foundation
import Logging
import Testing

/// The scheduler's steps (issue 25), each on its own over a real SQLite store: what it does in a
/// pass, and when it next wants to run.
@Suite("Scheduler steps")
struct SchedulerStepTests {
    let now = TestSupport.instant("2026-12-01T10:00:00+07:00")

    func setUp() throws -> (Store, Runtime) {
        let folder = try TestSupport.shopFolder()
        let loaded = ConfigLoader.load(folder.appendingPathComponent("config.json"))
        let config = try #require(loaded.config)
        let store = try Store(url: folder.appendingPathComponent("var/carecron.sqlite"))
        return (store, Runtime(config: config, jobs: loaded.jobs, dispatcher: nil))
    }

    func pass(_ runtime: Runtime, at: Date, leads: Bool = true, writes: Bool = true) -> SchedulerPass {
        SchedulerPass(now: at, runtime: runtime, leads: leads, writes: writes, fresh: false, keepGoing: { true })
    }

    @Test func theHeartbeatIsWrittenOnlyByTheNodeThatPlans() async throws {
        let (store, runtime) = try setUp()
        let state = SchedulerState(lastSeen: nil, upSince: now, catchingUp: false)
        let step = HeartbeatStep(store: store)
        #expect(try await step.run(pass(runtime, at: now, leads: false), state) == nil)
        #expect(try store.heartbeat() == nil && state.lastSeen == nil, "a node that does not plan says nothing of planning")
        #expect(try await step.run(pass(runtime, at: now), state) == nil)
        #expect(try store.heartbeat() == now && state.lastSeen == now)
    }

    @Test func sendingWakesForTheNextDueMessageAndADryRunSendsNothing() async throws {
        let (store, runtime) = try setUp()
        let state = SchedulerState(lastSeen: nil, upSince: now, catchingUp: false)
        let due = now.addingTimeInterval(600)
        let sms = Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)
        try Outbox(store: store).enqueue(keys: ["k:1"], job: "payment-reminder", customerId: nil, orderIds: [], reminder: 1,
                                         renderings: [sms], dueAt: due, now: now)
        let step = DrainStep(store: store)
        #expect(try await step.run(pass(runtime, at: now, writes: false), state) == nil, "a dry run asks for nothing")
        #expect(try await step.run(pass(runtime, at: now), state) == due)
    }

    @Test func purgingRunsHourlyAndSoonerOnlyWhileABacklogRemains() async throws {
        let (store, runtime) = try setUp()
        let state = SchedulerState(lastSeen: nil, upSince: now, catchingUp: false)
        // More old sent messages than one pass takes (20 batches of 500): the next pass is a second away.
        try store.fillWithSentMessages(10_500, endingAt: now.addingTimeInterval(-200 * 86_400))
        let step = LeaderChore.purge(store, startingAt: now, log: Logger(label: "test"))
        #expect(try await step.run(pass(runtime, at: now, leads: false), state) == nil, "only the planner purges")
        #expect(try await step.run(pass(runtime, at: now), state) == now.addingTimeInterval(1), "a backlog left: again in a second")
        #expect(try await step.run(pass(runtime, at: now.addingTimeInterval(0.5)), state) == nil, "not before that second")
        #expect(try await step.run(pass(runtime, at: now.addingTimeInterval(1)), state) == nil, "the rest purged: hourly again")
        #expect(try Outbox(store: store).counts()[.sent] == 10_500, "purged messages are still counted")
        #expect(try await step.run(pass(runtime, at: now.addingTimeInterval(1800)), state) == nil)
    }

    /// The outcomes' conversions: a batch of customers a pass while more are marked, then every minute.
    @Test func theOutcomesAreKeptABatchAPassThenEveryMinute() async throws {
        let (store, runtime) = try setUp()
        let state = SchedulerState(lastSeen: nil, upSince: now, catchingUp: false)
        for i in 0..<150 {
            _ = try store.upsert(.customers, ["id": "C\(i)", "full_name": "Khách \(i)", "phone": "0912\(100_000 + i)"], clock: runtime.config.clock,
                                 holdFor: .hours(24), now: now)
        }
        try store.fillWithOutcomeHistory(customers: 150, orders: 150, rows: 600, endingAt: now)
        let step = LeaderChore.outcomes(store, startingAt: now, batch: 100, log: Logger(label: "test"))
        #expect(try await step.run(pass(runtime, at: now, leads: false), state) == nil, "only the planner recomputes")
        #expect(try await step.run(pass(runtime, at: now), state) == now.addingTimeInterval(1), "customers left: again in a second")
        #expect(try await step.run(pass(runtime, at: now.addingTimeInterval(1)), state) == nil, "the rest done: every minute again")
        let goals = OutcomeGoals(jobs: runtime.jobs, holdFor: runtime.config.holdFor)
        #expect(try await store.refreshConversions(goals: goals, limit: 10) == (0, false), "nothing left for a report to do")
    }

    @Test func takingOverPlanningStartsFromTheLastPlannersHeartbeat() async throws {
        let (store, runtime) = try setUp()
        let state = SchedulerState(lastSeen: nil, upSince: now, catchingUp: false)
        let step = TakeOverStep(store: store, heartbeatInterval: 60, log: Logger(label: "test"))
        _ = try await step.run(pass(runtime, at: now, leads: false), state)
        let lastPlanned = now.addingTimeInterval(-3 * 3600)
        try store.beat(lastPlanned)
        _ = try await step.run(pass(runtime, at: now.addingTimeInterval(5)), state)
        #expect(state.lastSeen == lastPlanned && state.catchingUp, "three hours behind: it catches up first")
        #expect(state.planning.since == now.addingTimeInterval(5))
    }
}
