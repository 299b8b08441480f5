import ArgumentParser
import CarecronConfig
import CarecronDomain
import CarecronPostgres
import CarecronSQLite
import CarecronStorage
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per job its schedule, next run and last message; the outbox by state; dead messages; the heartbeat.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        let store = try await options.openExistingStore(config)
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
            let timing = job.rules.takesSchedule ? "schedule \"\(job.schedule)\"" : "when \"\(job.rules.timing(job))\""
            print("  \(job.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(job.enabled ? "enabled " : "disabled") \(timing)  next \(fmt(next))  last message planned \(fmt(l?.0)) (\(l?.1 ?? 0) in all)")
        }
        let counts = try await store.outbox.counts()
        print("outbox: " + OutboxState.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", "))
        let receipts = try await store.outbox.deliveryCounts()
        if !receipts.isEmpty {
            print("delivery receipts: " + receipts.keys.sorted().map { channel in
                "\(channel) " + DeliveryReceipt.Status.allCases.map { "\($0.rawValue) \(receipts[channel]?[$0] ?? 0)" }.joined(separator: ", ")
            }.joined(separator: "; "))
        }
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
        if let shared = store as? PostgresStore { try await showNodes(shared, fmt: fmt) }
        if check?.problems.isEmpty == false { throw ExitCode(1) }
    }
}

extension Status {
    /// The nodes on a shared database: each one's id, host, last heartbeat, and which plans.
    func showNodes(_ store: PostgresStore, fmt: (Date?) -> String) async throws {
        let nodes = try await NodeRegistry(store.db).nodes(within: 24 * 3600)
        let lease = store.db.settings.leaseSeconds
        print("nodes (seen in the last 24 hours; lease \(Int(lease)) s):" + (nodes.isEmpty ? " none" : ""))
        let now = Date()
        for n in nodes {
            let ago = Int(now.timeIntervalSince(n.lastHeartbeat))
            // A node beats every third of its lease: one silent for a whole lease is gone or paused.
            let state = n.leads ? "leader (plans and sends)" : Double(ago) > lease ? "silent (stopped or unreachable)" : "sends"
            print("  \(n.id)  host \(n.host) pid \(n.pid)  last heartbeat \(fmt(n.lastHeartbeat)) (\(ago) s ago)  \(state)")
        }
        if let leader = try await Leadership.holder(on: store.db) {
            print("  planner: term \(leader.term) since \(fmt(leader.since)), node \(leader.node)")
        }
        if !nodes.isEmpty, !nodes.contains(where: \.leads) {
            print("  no node leads now: nothing is planned until one does (a new leader takes over within \(Int(lease)) s)")
        }
    }
}

struct Forget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase a customer's personal data and messages on request (Decree 13/2023), keeping anonymous counts.")
    @Argument(help: "the customer's id") var customer: String
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        guard try await options.openStore(config).forget(customerId: customer, now: WallClock.system.now()) else {
            Console.error("no customer \(customer)")
            throw ExitCode(1)
        }
        print("customer \(customer) forgotten: personal data, orders and messages erased")
    }
}
