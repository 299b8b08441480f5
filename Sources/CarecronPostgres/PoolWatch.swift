import CarecronStorage
import Foundation
import Logging

/// Whether the pool needs renewing: it has not answered twice running while a connection of
/// its own reached the server. A server that is down is not the pool's fault (renewing would
/// only start the backoff again); one miss under load is not enough to drop a pool.
struct PoolWatch {
    static let missesToRenew = 2
    private(set) var misses = 0

    /// Notes one look; true when the pool should be renewed now.
    mutating func look(poolAnswered: Bool, serverAnswered: @autoclosure () async -> Bool) async -> Bool {
        guard !poolAnswered, await serverAnswered() else {
            misses = 0
            return false
        }
        misses += 1
        guard misses >= Self.missesToRenew else { return false }
        misses = 0
        return true
    }
}

extension PostgresDatabase {
    /// Looks at the pool every `interval` until shutdown, and renews it when it is stuck behind
    /// its own backoff while the server answers (a node back within seconds of its database).
    public func keepPoolFresh(every interval: Duration = .seconds(2)) {
        let task = Task {
            var watch = PoolWatch()
            while !Task.isCancelled, !isClosed {
                try? await Task.sleep(for: interval)
                let answered = (try? await poolAnswers(within: .seconds(3))) ?? false
                if await watch.look(poolAnswered: answered, serverAnswered: await self.serverAnswers()), renewPool() {
                    logger.notice("the database answers again but the pool still waits out its reconnection backoff: connections renewed")
                }
            }
        }
        startWatching(task)
    }

    /// Whether the pool runs `SELECT 1` within `limit`: it waits far longer for a server that went
    /// away, and whoever asks (`/readyz`, the watch) must have an answer while it still matters,
    /// even from a call that never returns.
    public func poolAnswers(within limit: Duration) async throws -> Bool {
        let asked = Task { () -> Result<Bool, Error> in
            do {
                for try await one in try await self.client.query("SELECT 1", logger: self.logger).decode(Int32.self) { return .success(one == 1) }
                return .success(false)
            } catch {
                return .failure(error)
            }
        }
        guard let answer = await FirstOf.value(asked, orWhen: { try? await Task.sleep(for: limit) }) else { throw NoAnswer(limit: limit) }
        return try answer.get()
    }

    struct NoAnswer: Error, CustomStringConvertible {
        let limit: Duration
        var description: String { "no answer within \(limit.components.seconds) s (is the server up, and the network between?)" }
    }

    /// Whether a connection of its own, outside the pool, reaches the server now.
    func serverAnswers() async -> Bool {
        do {
            try await Self.probe(settings, password: password, logger: logger)
            return true
        } catch {
            return false
        }
    }
}
