import Foundation

/// Work that arrives at once from many callers, done in groups: while one group is being
/// written, what arrives waits and goes together in the next, and each caller resumes with its
/// own outcomes once its group is durable. (Receipts: a provider reporting thousands of
/// messages a second costs a commit a group, not a commit a receipt.) A group that fails fails
/// each of its callers, who answer an error and are retried by the provider.
public actor Batched<Item: Sendable, Outcome: Sendable> {
    private let work: @Sendable ([Item]) async throws -> [Outcome]
    private var waiting: [(items: [Item], done: CheckedContinuation<[Outcome], Error>)] = []
    private var working = false

    /// `work` returns one outcome per item, in order.
    public init(_ work: @escaping @Sendable ([Item]) async throws -> [Outcome]) {
        self.work = work
    }

    public func submit(_ items: [Item]) async throws -> [Outcome] {
        guard !items.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { done in
            waiting.append((items, done))
            if !working {
                working = true
                Task { await self.workWhileWaiting() }
            }
        }
    }

    private func workWhileWaiting() async {
        while !waiting.isEmpty {
            let group = waiting
            waiting = []
            do {
                let outcomes = try await work(group.flatMap(\.items))
                var next = outcomes.startIndex
                for caller in group {
                    caller.done.resume(returning: Array(outcomes[next..<next + caller.items.count]))
                    next += caller.items.count
                }
            } catch {
                for caller in group { caller.done.resume(throwing: error) }
            }
        }
        working = false
    }
}
