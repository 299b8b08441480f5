import CarecronDomain
import CarecronStorage
import Foundation
import Logging

/// What keeps the service from being ready, beyond being up: a damaged database found by the
/// integrity check, senders a reload could not build. `/readyz` and the scheduler read it.
public actor ServiceHealth {
    public private(set) var databaseDamage: String?

    public init() {}

    func damaged(_ what: String) { databaseDamage = what }

    /// Every reason not to be ready, each a sentence; empty when ready.
    public func problems(store: any CareStore, runtime: RuntimeBox) async -> [String] {
        var out: [String] = []
        do { _ = try await store.isReachable() } catch {
            out.append("database: \(store.explain(error))")
        }
        if let databaseDamage { out.append("database damaged: \(databaseDamage)") }
        let rt = await runtime.current
        for (sender, why) in (rt.dispatcher?.unavailable ?? [:]).sorted(by: { $0.key < $1.key }) {
            out.append("sender \(sender) unavailable (its messages wait): \(why)")
        }
        return out
    }
}

/// The integrity check at start-up: in the background, so that READY is not delayed (a
/// million-customer store takes seconds), with its verdict kept in the store for `status`.
enum IntegrityCheck {
    static func run(store: any CareStore, health: ServiceHealth, log: Logger, clock: WallClock) async {
        let started = ContinuousClock.now
        let problems: [String]
        do { problems = try await store.integrityProblems(limit: 10) } catch {
            problems = [store.explain(error)]
        }
        try? await store.recordIntegrity(problems, at: clock.now())
        if problems.isEmpty {
            log.info("database integrity check passed", metadata: ["seconds": "\(String(format: "%.2f", (ContinuousClock.now - started).seconds))"])
            return
        }
        let summary = problems.prefix(3).joined(separator: "; ")
        await health.damaged(summary)
        log.error("the database is damaged (\(summary)): carecron stops planning and sending; stop the service and restore the last backup (README, \"Backup and restore\")",
                  metadata: ["database": "\(store.location)"])
    }
}
