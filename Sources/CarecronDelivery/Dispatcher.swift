import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation
import Logging
import Metrics

/// Backoff for transient failures: exponential with jitter, never sooner than the provider's
/// `Retry-After`.
public struct RetryPolicy: Sendable {
    public var base: TimeInterval
    public var maximum: TimeInterval

    public init(base: TimeInterval = 30, maximum: TimeInterval = 3600) {
        self.base = base
        self.maximum = maximum
    }

    public func delay(attempt: Int, retryAfter: TimeInterval?) -> TimeInterval {
        let exponential = min(maximum, base * pow(2, Double(max(0, attempt - 1))))
        let jittered = exponential * Double.random(in: 0.8...1.2)
        return max(jittered, retryAfter ?? 0)
    }
}

extension ShopConfig {
    /// `delivery.retryBase` and `delivery.retryMax` of config.json.
    public var retryPolicy: RetryPolicy { RetryPolicy(base: retryBase.interval, maximum: retryMax.interval) }
}

/// A sender's concurrency limit and rate limit (messages per second), so that a gateway's quota
/// is never exceeded while many messages are in flight up to that limit.
actor SenderGate {
    let limits: SenderLimits
    let clock: WallClock
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var nextStart = Date.distantPast

    init(_ limits: SenderLimits, clock: WallClock = .system) {
        self.limits = limits
        self.clock = clock
    }

    func acquire() async {
        if inFlight >= max(1, limits.concurrency) {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            inFlight += 1
        }
        if let rate = limits.ratePerSecond, rate > 0 {
            let now = clock.now()
            let start = max(now, nextStart)
            nextStart = start.addingTimeInterval(1 / rate)
            let wait = start.timeIntervalSince(now)
            if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000)) }
        }
    }

    func release() {
        if waiters.isEmpty { inFlight -= 1 } else { waiters.removeFirst().resume() }
    }
}

public struct DispatchReport: Sendable, Equatable {
    public var sent = 0, retried = 0, fellBack = 0, dead = 0, cancelled = 0
    /// Payment reminders among `sent`: the next one is timed from their real sending.
    public var sentReminders = 0
    public var total: Int { sent + retried + fellBack + dead + cancelled }

    public init() {}

    mutating func add(_ o: DispatchReport) {
        sent += o.sent; retried += o.retried; fellBack += o.fellBack; dead += o.dead; cancelled += o.cancelled
        sentReminders += o.sentReminders
    }
}

/// Sends what the outbox holds: re-checks each message, picks its channel's sender, and turns the
/// outcome into the next state (sent, retried later, next channel, dead).
public final class Dispatcher: Sendable {
    let store: any CareStore
    let outbox: any OutboxStore
    /// Outcomes are committed in groups (see `GroupCommit`).
    private let outcomes: GroupCommit
    /// Where outcomes the store refused are kept across a restart (SQLite's; none on PostgreSQL,
    /// whose leases hand an unfinished message to another node).
    let journal: OutcomeJournal?
    let senders: [String: any Sender]
    let channels: [String: String]
    let gates: [String: SenderGate]
    let retry: RetryPolicy
    let now: @Sendable () -> Date
    let log: Logger
    let jobs: [String: (rules: any JobRules, purpose: Purpose)]
    /// Senders config.json names that could not be built (a secret missing after a reload), with
    /// why: their messages wait, never die for it, and `/readyz` says so.
    public let unavailable: [String: String]

    /// How long a message for an unavailable sender waits before it is looked at again.
    static let unavailableWait: TimeInterval = 60

    public init(store: any CareStore, senders: [String: any Sender], channels: [ChannelKind: String], jobs: [JobDefinition],
                unavailable: [String: String] = [:],
                retry: RetryPolicy = RetryPolicy(), now: @escaping @Sendable () -> Date = WallClock.system.now, log: Logger,
                journal: OutcomeJournal? = nil, callDesk: CallDesk? = nil) {
        self.store = store
        self.outbox = store.outbox
        self.journal = journal
        self.outcomes = GroupCommit(store.outbox, journal: journal, log: log)
        self.unavailable = unavailable
        // The care team carries the `call` channel, whatever config.json's senders are.
        var senders = senders, channels = Dictionary(uniqueKeysWithValues: channels.map { ($0.key.rawValue, $0.value) })
        if let callDesk {
            senders[callDesk.name] = callDesk
            channels[ChannelKind.call.rawValue] = callDesk.name
        }
        self.senders = senders
        self.channels = channels
        self.gates = senders.mapValues { SenderGate($0.limits) }
        self.retry = retry
        self.now = now
        self.log = log
        self.jobs = Dictionary(jobs.map { ($0.name, ($0.rules, $0.purpose)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every sender's concurrency: up to twice this many messages are claimed at a time, so that
    /// a stop request waits for little more than what is on the wire.
    /// The sender of that name in config.json, as built (its receipts come to it).
    public func sender(named name: String) -> (any Sender)? { senders[name] }

    var batchSize: Int { max(8, senders.values.reduce(0) { $0 + $1.limits.concurrency }) }

    /// Sends until nothing is due now (or `keepGoing` says stop); returns when the outbox has
    /// nothing more for the moment. Messages are claimed again as sends finish, not batch by
    /// batch, so that one slow or timed-out send holds up only its own slot.
    public func drain(while keepGoing: @escaping @Sendable () -> Bool = { true }) async throws -> DispatchReport {
        try await withThrowingTaskGroup(of: DispatchReport.self) { group in
            var total = DispatchReport()
            var running = 0
            while true {
                // Claimed ahead up to two batches, refilled once a batch is done: the senders'
                // slots stay full, and a claim (a write) serves many messages, not one.
                if running <= batchSize, keepGoing() {
                    for m in try await outbox.claimDue(now: now(), limit: 2 * batchSize - running) {
                        group.addTask { await self.deliver(m, while: keepGoing) }
                        running += 1
                    }
                }
                guard running > 0, let r = try await group.next() else { return total }
                total.add(r)
                running -= 1
            }
        }
    }

    /// Sends one claimed message. If `keepGoing` turns false while it waits for a slot, it is
    /// handed back to the outbox unsent: at a stop, only what is on the wire finishes.
    func deliver(_ m: OutboxMessage, while keepGoing: @escaping @Sendable () -> Bool = { true }) async -> DispatchReport {
        var report = DispatchReport()
        let job = jobs[m.job]
        do {
            let sameJob = job?.rules.minimumGapBetweenSends.map { (job: m.job, since: now().addingTimeInterval(-$0.interval)) }
            let facts = try await store.sendingFacts(customerId: m.customerId, orderIds: m.orderIds, sameJob: sameJob)
            if let reason = StillWanted.reasonToCancel(customerId: m.customerId, orderIds: m.orderIds, facts: facts,
                                                       rules: job?.rules, purpose: job?.purpose, expiresAt: m.expiresAt, now: now()) {
                try await outcomes.record([.cancelled(m.id, reason: reason, now: now())], while: keepGoing)
                log.info("cancelled: \(reason)", metadata: ["msg": "\(m.logContext)"])
                report.cancelled = 1
                return report
            }
            if let senderName = channels[m.rendering.channel], let why = unavailable[senderName] {
                try await outbox.postpone(m.id, reason: "sender \(senderName) unavailable: \(why)", until: now().addingTimeInterval(Self.unavailableWait))
                log.debug("waiting for sender \(senderName): \(why)", metadata: ["msg": "\(m.logContext)"])
                return report
            }
            guard let senderName = channels[m.rendering.channel], let sender = senders[senderName], let gate = gates[senderName] else {
                return try await fallBackOrDie(m, "no sender for channel \(m.rendering.channel)", keepGoing: keepGoing, &report)
            }
            await gate.acquire()
            guard keepGoing(), outbox.stillHolds(m.id) else {
                await gate.release()
                if keepGoing() {
                    log.warning("not sent: this node's lease on the message lapsed while it waited (paused or overloaded); another node sends it",
                                metadata: ["msg": "\(m.logContext)"])
                }
                try await outbox.unclaim(m.id)
                return report
            }
            let started = DispatchTime.now().uptimeNanoseconds
            let outcome = await sender.send(OutgoingMessage(m))
            // The slot is freed only once the outcome is recorded: at a crash, at most
            // `concurrency` messages per sender can have an unknown outcome.
            defer { Task { await gate.release() } }
            Timer(label: "carecron_send_duration_seconds", dimensions: [("sender", senderName)], preferredDisplayUnit: .seconds)
                .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            Counter(label: "carecron_messages_total", dimensions: [("job", m.job), ("channel", m.rendering.channel),
                                                                   ("outcome", Self.outcomeName(outcome))]).increment()
            switch outcome {
            case .sent(let providerId):
                let at = now()
                try await outcomes.record([.sender(m.id, name: senderName),
                                           .sent(m.id, providerId: providerId, at: at, receiptDue: Self.receiptDue(m, sender, sentAt: at))],
                                          while: keepGoing)
                log.info("sent", metadata: ["msg": "\(m.logContext)", "provider_id": "\(providerId ?? "-")"])
                report.sent = 1
                if m.reminder != nil { report.sentReminders = 1 }
            case .retry(let why, let after):
                try await retryOrDie(m, why, retryAfter: after, limits: sender.limits, sender: senderName, keepGoing, &report)
            case .unknown(let why):
                // The provider may have it: the retry carries the same idempotency key.
                try await retryOrDie(m, "outcome unknown: \(why)", retryAfter: nil, limits: sender.limits, sender: senderName, keepGoing, &report)
            case .rejected(let why):
                return try await fallBackOrDie(m, why, sender: senderName, keepGoing: keepGoing, &report)
            case .misconfigured(let why):
                try await outcomes.record([.sender(m.id, name: senderName), .dead(m.id, error: "configuration: \(why)", now: now())], while: keepGoing)
                log.critical("configuration error, message dead: \(why)", metadata: ["msg": "\(m.logContext)", "sender": "\(senderName)"])
                report.dead = 1
            case .stopSender(let why):
                try await outcomes.record([.sender(m.id, name: senderName),
                                           .retry(m.id, error: "sender \(senderName) stopped: \(why)", next: now().addingTimeInterval(retry.maximum), now: now())],
                                          while: keepGoing)
                log.critical("sender \(senderName) stopped until its configuration is fixed: \(why)", metadata: ["msg": "\(m.logContext)"])
                report.retried = 1
            }
        } catch let held as GroupCommit.OutcomeHeld {
            log.warning("stopping while the store refuses outcomes: \(held)", metadata: ["msg": "\(m.logContext)"])
        } catch {
            log.error("outbox error: \(store.explain(error))", metadata: ["msg": "\(m.logContext)"])
        }
        return report
    }

    /// Records the outcomes a stop left held in the journal (the store had refused them): done
    /// before messages left `sending` are tried again, so that none the provider accepted goes twice.
    public func recordHeldOutcomes() async throws -> Int {
        guard let journal else { return 0 }
        switch journal.contents() {
        case .outcomes(let held):
            guard !held.isEmpty else { return 0 }
            try await outbox.record(held)
            guard journal.hold([]) else { throw OutcomeJournal.Failure(description: "cannot empty \(journal.path) after recording it") }
            let messages = Set(held.map(\.id)).count
            log.notice("recorded the outcomes of \(messages) message(s) held since the store refused them", metadata: ["journal": "\(journal.path)"])
            return messages
        case .otherDatabase(let id):
            log.warning("the outcome journal belongs to another database (\(id)): this one was restored or made anew; not applied",
                        metadata: ["journal": "\(journal.path)"])
        case .torn:
            log.critical("the outcome journal cannot be read (torn by a crash while it was written): messages left sending are sent again, with their keys",
                         metadata: ["journal": "\(journal.path)"])
        }
        journal.hold([])
        return 0
    }

    /// Until when a sent message waits for its receipt before its next channel takes it: only
    /// when the job asks, a channel follows, and the sender hears receipts (else every message
    /// would go twice).
    static func receiptDue(_ m: OutboxMessage, _ sender: any Sender, sentAt: Date) -> Date? {
        guard !m.fallbacks.isEmpty, let wait = m.rendering.awaitReceipt,
              let hears = sender as? any ReceivesReceipts, hears.takesReceipts else { return nil }
        return sentAt.addingTimeInterval(TimeInterval(wait))
    }

    static func outcomeName(_ o: SendOutcome) -> String {
        switch o {
        case .sent: return "sent"
        case .retry, .unknown: return "failed"
        case .rejected: return "rejected"
        case .misconfigured, .stopSender: return "dead"
        }
    }

    private func retryOrDie(_ m: OutboxMessage, _ why: String, retryAfter: TimeInterval?, limits: SenderLimits,
                            sender: String, _ keepGoing: @escaping @Sendable () -> Bool, _ report: inout DispatchReport) async throws {
        if m.attempts >= limits.maxAttempts {
            try await outcomes.record([.sender(m.id, name: sender), .dead(m.id, error: "gave up after \(m.attempts) attempts: \(why)", now: now())],
                                      while: keepGoing)
            log.error("dead after \(m.attempts) attempts: \(why)", metadata: ["msg": "\(m.logContext)"])
            report.dead = 1
            return
        }
        let next = now().addingTimeInterval(retry.delay(attempt: m.attempts, retryAfter: retryAfter))
        try await outcomes.record([.sender(m.id, name: sender), .retry(m.id, error: why, next: next, now: now())], while: keepGoing)
        log.warning("will retry: \(why)", metadata: ["msg": "\(m.logContext)", "attempt": "\(m.attempts)"])
        report.retried = 1
    }

    private func fallBackOrDie(_ m: OutboxMessage, _ why: String, sender: String? = nil, keepGoing: @escaping @Sendable () -> Bool,
                               _ report: inout DispatchReport) async throws -> DispatchReport {
        if try await outbox.fallBack(m, error: why, now: now()) {
            log.notice("falling back to \(m.fallbacks[0].channel): \(why)", metadata: ["msg": "\(m.logContext)"])
            report.fellBack = 1
        } else {
            try await outcomes.record((sender.map { [.sender(m.id, name: $0)] } ?? []) + [.dead(m.id, error: why, now: now())], while: keepGoing)
            log.error("dead: \(why)", metadata: ["msg": "\(m.logContext)"])
            report.dead = 1
        }
        return report
    }
}

extension OutboxMessage {
    /// How a message is named in the log. Used inside the log calls' autoclosures, so that it is
    /// built only for lines actually written, not for every message sent.
    public var logContext: String {
        "job=\(job) id=\(id) orders=\(orderIds.joined(separator: ",")) customer=\(customerId ?? "-") channel=\(rendering.channel) to=\(Masking.contact(rendering.to))"
    }
}
