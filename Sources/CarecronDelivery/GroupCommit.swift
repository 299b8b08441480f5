import CarecronStorage
import Foundation
import Logging
import Metrics

/// Group commit for the dispatcher's outcomes: the outcomes of the sends that finish while one
/// commit is on its way are written together in the next, and each caller resumes only once
/// its own outcome is durable. A synchronous commit a message (two, with the sender's name)
/// held dispatch to a few thousand messages a second; a commit per group serves as many sends
/// as finished meanwhile, and the guarantee is the same: a slot is freed, and a message counts
/// as done, only after the commit that holds its outcome.
///
/// A commit the store refuses (a full disk, an I/O error) loses nothing (issue 24): its outcomes
/// are held, written to the journal, and tried again until the store takes them; their callers
/// wait meanwhile (so no new message goes out whose outcome could not be kept either), and stop
/// waiting only when their dispatcher is asked to stop (`OutcomeHeld`), the outcomes still held.
actor GroupCommit {
    private let outbox: any OutboxStore
    private let journal: OutcomeJournal?
    private let log: Logger
    private var waiting: [Waiter] = []
    private var writing = false
    /// Since when the store has refused the commits (nil while it takes them).
    private var refusedSince: Date?
    /// How many commits have been made, for the tests that check the grouping.
    private(set) var commits = 0
    /// The first wait after a refused commit and the longest; a stop is noticed within the longest.
    let retryDelays: (first: TimeInterval, longest: TimeInterval)

    struct Waiter {
        let outcomes: [OutboxOutcome]
        /// nil once the caller stopped waiting: the outcomes stay until they are recorded.
        var done: CheckedContinuation<Void, Error>?
        let keepGoing: @Sendable () -> Bool
    }

    /// The caller stopped waiting for its outcome; it is held, and recorded when the store can.
    struct OutcomeHeld: Error, CustomStringConvertible {
        let journal: String?
        var description: String {
            "its outcome is held" + (journal.map { " (in \($0))" } ?? "") + " and will be recorded when the store can take it"
        }
    }

    init(_ outbox: any OutboxStore, journal: OutcomeJournal? = nil, log: Logger = Logger(label: "carecron"),
         retryDelays: (first: TimeInterval, longest: TimeInterval) = (0.2, 5)) {
        self.outbox = outbox
        self.journal = journal
        self.log = log
        self.retryDelays = retryDelays
    }

    /// Returns once `outcomes` are committed (with whatever else was waiting), or throws
    /// `OutcomeHeld` once `keepGoing` turns false while the store refuses them.
    func record(_ outcomes: [OutboxOutcome], while keepGoing: @escaping @Sendable () -> Bool = { true }) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            waiting.append(Waiter(outcomes: outcomes, done: done, keepGoing: keepGoing))
            // While the store refuses, an outcome is journaled as it arrives, not at the next try:
            // a crash meanwhile must not lose it.
            if refusedSince != nil { journal?.hold(waiting.flatMap(\.outcomes)) }
            if !writing {
                writing = true
                Task { await self.writeWhileWaiting() }
            }
        }
    }

    /// How many outcomes are waiting for the store (for the tests and the metrics).
    var heldCount: Int { waiting.reduce(0) { $0 + $1.outcomes.count } }

    private func writeWhileWaiting() async {
        var delay = retryDelays.first
        while !waiting.isEmpty {
            let group = waiting
            waiting = []
            let outcomes = group.flatMap(\.outcomes)
            do {
                try await outbox.record(outcomes)
                commits += 1
                for entry in group { entry.done?.resume() }
                if let since = refusedSince {
                    if journal?.hold([]) == false {
                        log.error("cannot empty the outcome journal \(journal!.path): a restart may send again what was recorded")
                    }
                    Gauge(label: "carecron_outcomes_held").record(0)
                    log.notice("the store took the outcomes it had refused", metadata: [
                        "messages": "\(Set(outcomes.map(\.id)).count)", "refused_for_seconds": "\(Int(Date().timeIntervalSince(since)))"])
                    refusedSince = nil
                    delay = retryDelays.first
                }
            } catch {
                let journaled = journal?.hold(outcomes + waiting.flatMap(\.outcomes)) ?? false
                if refusedSince == nil {
                    refusedSince = Date()
                    log.critical("outcomes not recorded: the store refused them (\(error)); they are held and tried again until it takes them",
                                 metadata: ["messages": "\(Set(outcomes.map(\.id)).count)", "journal": "\(journaled ? journal!.path : "none")"])
                }
                Gauge(label: "carecron_outcomes_held").record(outcomes.count)
                // Held ahead of any that arrived meanwhile; a caller whose dispatcher stops, stops waiting.
                waiting = group.map { entry in
                    var entry = entry
                    if let done = entry.done, !entry.keepGoing() {
                        done.resume(throwing: OutcomeHeld(journal: journaled ? journal?.path : nil))
                        entry.done = nil
                    }
                    return entry
                } + waiting
                try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
                delay = min(delay * 2, retryDelays.longest)
            }
        }
        writing = false
    }
}
