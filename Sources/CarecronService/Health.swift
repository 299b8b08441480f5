import CarecronDomain
import CarecronStorage
import Foundation
import Logging

/// What keeps the service from being ready, beyond being up: a damaged database found by the
/// integrity check, senders a reload could not build. `/readyz` and the scheduler read it.
public actor ServiceHealth {
    public private(set) var databaseDamage: String?
    /// The start-up integrity check has not given its verdict yet: nothing is planned or sent.
    public private(set) var integrityPending = false
    /// A background whole check is reading the file: a stop now leaves the file unsealed.
    private(set) var wholeCheckRunning = false
    /// The stop has begun sealing the file: no whole check starts after it.
    private var sealing = false
    /// A pass the stop did not wait for: its writes may be unfinished, so the file is not sealed.
    private var passAbandoned = false

    public init() {}

    func damaged(_ what: String) { databaseDamage = what }
    func integrityCheckStarted() { integrityPending = true }
    func abandonedPass() { passAbandoned = true }

    /// The start-up check's verdict is in; with `wholeCheckWanted`, the background whole check is
    /// claimed in the same step (true), unless the stop has begun sealing.
    func finishStartupCheck(wholeCheckWanted: Bool) -> Bool {
        integrityPending = false
        guard wholeCheckWanted, !sealing else { return false }
        wholeCheckRunning = true
        return true
    }

    func wholeCheckEnded() { wholeCheckRunning = false }

    /// Whether the stop may seal the file: no check reading it, no pass left unfinished, no
    /// damage found; once true, no whole check starts.
    func beginSeal() -> Bool {
        guard !wholeCheckRunning, !integrityPending, !passAbandoned, databaseDamage == nil else { return false }
        sealing = true
        return true
    }

    /// Every reason not to be ready, each a sentence; empty when ready.
    public func problems(store: any CareStore, runtime: RuntimeBox) async -> [String] {
        var out: [String] = []
        do { _ = try await store.isReachable() } catch {
            out.append("database: \(store.explain(error))")
        }
        if integrityPending { out.append("checking the database before sending") }
        if let databaseDamage { out.append("database damaged: \(databaseDamage)") }
        let rt = await runtime.current
        for (sender, why) in (rt.dispatcher?.unavailable ?? [:]).sorted(by: { $0.key < $1.key }) {
            out.append("sender \(sender) unavailable (its messages wait): \(why)")
        }
        return out
    }
}

/// The integrity check at start-up (issue 30, item 5). Nothing is planned or sent until its
/// verdict: the scheduler's passes wait on `ServiceHealth.integrityPending`. What it reads scales
/// with what changed since the last clean stop: a file as the clean stop sealed it needs only its
/// header and schema read; any other (a crash, a copy, an import while stopped) is read whole.
/// Its verdict is kept in the store for `status`.
enum IntegrityCheck {
    /// A sealed file is read whole again in the background once its last whole check is this old,
    /// so that a node restarted every day still has its pages read now and then.
    static let wholeEvery: TimeInterval = 7 * 86_400

    static func run(store: any CareStore, health: ServiceHealth, log: Logger, clock: WallClock, wakeup: Wakeup) async {
        let started = ContinuousClock.now
        let verdict: StartupIntegrity?
        do { verdict = try await within(store.startupCheckDeadline) { try await store.startupIntegrity(limit: 10, at: clock.now()) } } catch {
            verdict = StartupIntegrity(scope: .whole, problems: [store.explain(error)])
        }
        guard let verdict else {
            log.warning("the start-up database check did not answer within \(store.startupCheckDeadline?.components.seconds ?? 0) s: sending goes on without its verdict")
            _ = await health.finishStartupCheck(wholeCheckWanted: false)
            await wakeup.ring()
            return
        }
        await conclude(verdict.problems, scope: verdict.scope, seconds: (ContinuousClock.now - started).seconds,
                       store: store, health: health, log: log, clock: clock)
        var lastWhole: Date?
        if verdict.problems.isEmpty, case .unchangedSinceCleanStop(_, let last) = verdict.scope, clock.now().timeIntervalSince(last) > wholeEvery {
            lastWhole = last
        }
        let whole = await health.finishStartupCheck(wholeCheckWanted: lastWhole != nil)
        await wakeup.ring()
        guard whole, let lastWhole else { return }
        defer { Task { await health.wholeCheckEnded() } }
        guard !Task.isCancelled else { return }
        log.info("the whole database was last checked \(Int((clock.now().timeIntervalSince(lastWhole) / 86_400).rounded())) days ago: checking it again in the background")
        let again = ContinuousClock.now
        let problems: [String]
        do { problems = try await store.periodicIntegrityProblems(limit: 10, at: clock.now()) } catch { problems = [store.explain(error)] }
        await conclude(problems, scope: .whole, seconds: (ContinuousClock.now - again).seconds, store: store, health: health, log: log, clock: clock)
    }

    /// The check's result, or nil when it did not answer within `deadline` (no deadline: waits).
    static func within(_ deadline: Duration?, _ check: @escaping @Sendable () async throws -> StartupIntegrity) async throws -> StartupIntegrity? {
        guard let deadline else { return try await check() }
        return try await withThrowingTaskGroup(of: StartupIntegrity?.self) { race in
            race.addTask { try await check() }
            race.addTask { try await Task.sleep(for: deadline); return nil }
            defer { race.cancelAll() }
            return try await race.next() ?? nil
        }
    }

    static func conclude(_ problems: [String], scope: StartupIntegrity.Scope, seconds: Double, store: any CareStore, health: ServiceHealth,
                         log: Logger, clock: WallClock) async {
        try? await store.recordIntegrity(problems, at: clock.now())
        if problems.isEmpty {
            var metadata: Logger.Metadata = ["seconds": "\(String(format: "%.2f", seconds))", "read": "\(scope == .whole ? "the whole file" : "header and schema")"]
            if case .unchangedSinceCleanStop(let stopped, let last) = scope {
                metadata["unchanged_since_clean_stop"] = "\(stopped)"
                metadata["whole_file_last_checked"] = "\(last)"
            }
            log.info("database integrity check passed", metadata: metadata)
            return
        }
        let summary = problems.prefix(3).joined(separator: "; ")
        await health.damaged(summary)
        log.error("the database is damaged (\(summary)): carecron stops planning and sending; stop the service and restore the last backup (README, \"Backup and restore\")",
                  metadata: ["database": "\(store.location)"])
    }
}
