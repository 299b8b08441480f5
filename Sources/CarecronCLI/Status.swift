import ArgumentParser
import CarecronConfig
import CarecronDomain
import CarecronStore
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per job its schedule, next run and last message; the outbox by state; dead messages; the heartbeat.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        let store = try options.openExistingStore(config)
        do { try await show(config, jobs, store) } catch where store.isDamage(error) {
            print("database: DAMAGED: \(store.explain(error))")
            throw ExitCode(1)
        }
    }

    private func show(_ config: ShopConfig, _ jobs: [JobDefinition], _ store: any CareStore) async throws {
        let clock = config.clock, now = WallClock.system.now()
        func fmt(_ d: Date?) -> String { d.map { InstantFormat.format($0, clock: clock) } ?? "never" }
        let last = try await store.outbox.lastPlannedByJob()
        print("jobs:")
        for job in jobs {
            let next = job.enabled ? job.rules.runs(job, after: now, count: 1, clock: clock).first : nil
            let l = last[job.name]
            let timing = type(of: job.rules).takesSchedule ? "schedule \"\(job.schedule)\"" : "when \"\(job.rules.timing(job))\""
            print("  \(job.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(job.enabled ? "enabled " : "disabled") \(timing)  next \(fmt(next))  last message planned \(fmt(l?.0)) (\(l?.1 ?? 0) in all)")
        }
        let counts = try await store.outbox.counts()
        print("outbox: " + OutboxState.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", "))
        let dead = try await store.outbox.list(state: .dead, limit: 10)
        if !dead.isEmpty {
            print("dead messages (newest 10; carecron outbox retry ID):")
            for m in dead { print("  \(m.id) \(m.job) \(m.orderIds.joined(separator: ",")) \(m.rendering.channel): \(m.lastError ?? "")") }
        }
        let check = try await store.lastIntegrity()
        if let check {
            print(check.problems.isEmpty ? "database: sound (integrity check at \(fmt(check.at)))"
                  : "database: DAMAGED (integrity check at \(fmt(check.at))): \(check.problems.prefix(3).joined(separator: "; ")); stop the service and restore the last backup (README, \"Backup and restore\")")
        }
        let beat = try await store.heartbeat()
        print("heartbeat: \(fmt(beat))\(beat.map { " (\(Int(now.timeIntervalSince($0))) s ago)" } ?? " (the service has not run)")")
        if check?.problems.isEmpty == false { throw ExitCode(1) }
    }
}

struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase a customer's personal data and messages on request (Decree 13/2023), keeping anonymous counts.")
    @Argument(help: "the customer's id") var customer: String
    @OptionGroup var options: ConfigOption

    func run() throws {
        let (config, _) = try options.loadValid()
        guard try options.openStore(config).forget(customerId: customer, now: WallClock.system.now()) else {
            Console.error("no customer \(customer)")
            throw ExitCode(1)
        }
        print("customer \(customer) forgotten: personal data, orders and messages erased")
    }
}
