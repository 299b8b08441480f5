import CarecronStore

/// Group commit for the dispatcher's outcomes: the outcomes of the sends that finish while one
/// commit is on its way are written together in the next, and each caller resumes only once
/// its own outcome is durable. A synchronous commit a message (two, with the sender's name)
/// held dispatch to a few thousand messages a second; a commit per group serves as many sends
/// as finished meanwhile, and the guarantee is the same: a slot is freed, and a message counts
/// as done, only after the commit that holds its outcome.
actor GroupCommit {
    private let outbox: any OutboxStore
    private var waiting: [(outcomes: [OutboxOutcome], done: CheckedContinuation<Void, Error>)] = []
    private var writing = false
    /// How many commits have been made, for the tests that check the grouping.
    private(set) var commits = 0

    init(_ outbox: any OutboxStore) { self.outbox = outbox }

    /// Returns once `outcomes` are committed (with whatever else was waiting), or throws what
    /// the commit threw.
    func record(_ outcomes: [OutboxOutcome]) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            waiting.append((outcomes, done))
            if !writing {
                writing = true
                Task { await self.writeWhileWaiting() }
            }
        }
    }

    private func writeWhileWaiting() async {
        while !waiting.isEmpty {
            let group = waiting
            waiting = []
            do {
                try await outbox.record(group.flatMap(\.outcomes))
                commits += 1
                for entry in group { entry.done.resume() }
            } catch {
                for entry in group { entry.done.resume(throwing: error) }
            }
        }
        writing = false
    }
}
