import CarecronSQLite
import CarecronStorage
import Foundation

/// Issue 6's reliability runs, counted from the provider's side (the receiver's log).
public struct Chaos {
    public let figures: Figures
    public let source: URL
    let binary = carecronBinary

    public init(figures: Figures, source: URL) {
        self.figures = figures
        self.source = source
    }

    public struct Verdict {
        public var problems: [String] = []
        public var ok: Bool { problems.isEmpty }
    }

    /// `outbox send` SIGKILLed `kills` times at random moments while `count` messages go out, then
    /// run to the end: none may be lost, and every request must carry one of the messages' keys.
    public func crashLoop(count: Int, kills: Int, concurrency: Int = 8, seed: UInt64 = 42) throws -> Verdict {
        // Paced so that sending lasts about as long as the kills take (one every 30 to 330 ms),
        // however fast the machine: kills must land mid-run, not after the last message.
        let rate = max(50, Double(count) / (Double(max(kills, 1)) * 0.2))
        let (shop, receiver) = try BenchShop.sending(count, from: source, logged: true) {
            BenchShop.webhook(port: $0, concurrency: concurrency, ratePerSecond: rate)
        }
        defer { receiver.shutdown(); shop.remove() }

        var g = SplitMix(seed: seed)
        var killed = 0
        while killed < kills {
            let child = try Child(binary, ["outbox", "send", "--until-empty", "--config", shop.config.path])
            // A kill anywhere from start-up to well into sending.
            usleep(UInt32(30_000 + g.next() % 300_000))
            guard child.isRunning else {
                child.wait()
                break  // everything went out before the next kill
            }
            child.signal(SIGKILL)
            child.wait()
            killed += 1
        }
        let (last, out, err) = try runToEnd(binary, ["outbox", "send", "--until-empty", "--config", shop.config.path])
        var verdict = Verdict()
        if last.status != 0 { verdict.problems.append("the last outbox send failed: \(out) \(err)") }
        figures.record("chaos_crash_kills", Double(killed), "kills")
        let log = try tally("crash", count: count, shop: shop, &verdict)
        // A message can reach the provider twice only if it was on the wire at a kill.
        if log.rawDuplicates > killed * concurrency {
            verdict.problems.append("\(log.rawDuplicates) raw duplicates for \(killed) kills of \(concurrency) in flight")
        }
        return verdict
    }

    /// A provider failing `rate` of requests (500, 429 with Retry-After, answers slower than the
    /// sender's timeout, dropped connections) and going down for a moment now and then:
    /// everything must arrive, none twice after de-duplication, and Retry-After be respected.
    public func faultyProvider(count: Int, rate: Double = 0.3, seed: UInt64 = 7) throws -> Verdict {
        var faults = Receiver.Faults()
        faults.rate = rate
        faults.seed = seed
        faults.retryAfter = 2
        faults.slowSeconds = 2
        let (shop, receiver) = try BenchShop.sending(count, from: source, faults: faults, logged: true,
                                                     extra: ["delivery": ["retryBase": "1s", "retryMax": "2s"], "log": ["level": "info"]]) {
            BenchShop.webhook(port: $0, concurrency: 16, timeout: 1, maxAttempts: 40)
        }
        defer { receiver.shutdown(); shop.remove() }
        let child = try Child(binary, ["outbox", "send", "--until-empty", "--config", shop.config.path],
                              stdout: shop.folder.appendingPathComponent("send.out").path,
                              stderr: shop.folder.appendingPathComponent("send.err").path)
        // Connections reset: the provider goes away for a second, three times.
        var downs = 0
        for _ in 0..<3 {
            if child.wait(seconds: 1.5) != nil { break }
            receiver.refuseConnections(true)
            downs += 1
            Thread.sleep(forTimeInterval: 1)
            receiver.refuseConnections(false)
        }
        let exit = child.wait(seconds: 600)
        var verdict = Verdict()
        if exit == nil { child.signal(SIGKILL); verdict.problems.append("outbox send did not finish in 10 minutes") }
        if let exit, exit.status != 0 { verdict.problems.append("outbox send exited \(exit.status)") }
        figures.record("chaos_faulty_down_windows", Double(downs), "windows")
        let log = try tally("faulty", count: count, shop: shop, &verdict)
        let failed = log.attempts.values.reduce(0) { $0 + $1.filter { $0.answer != "ok" }.count }
        let violations = log.retryAfterViolations(seconds: faults.retryAfter)
        figures.record("chaos_faulty_failed_requests", Double(failed), "requests")
        figures.record("chaos_faulty_retry_after_violations", Double(violations), "retries")
        if violations > 0 { verdict.problems.append("\(violations) retries came before Retry-After") }
        if let s = log.shortestRetryAfterFailure {
            figures.record("chaos_faulty_shortest_retry_after_500", s, "s")
            // The retry base is 1 s with ±20% jitter: no retry after a 500 may come sooner than 0.8 s.
            if s < 0.75 { verdict.problems.append("a retry after a 500 came after \(s) s") }
        }
        return verdict
    }

    /// What the provider got of `bench:0…bench:count-1`, counted as `chaos_NAME_*`: none lost,
    /// none under a key of its own, and the outbox agreeing that all went out.
    private func tally(_ name: String, count: Int, shop: BenchShop, _ verdict: inout Verdict) throws -> ReceiverLog {
        let log = try ReceiverLog(shop.receiverLog)
        let expected = Set((0..<count).map { "bench:\($0)" })
        let delivered = log.delivered
        let lost = expected.subtracting(delivered).count
        let unexpected = delivered.subtracting(expected).count
        figures.record("chaos_\(name)_messages", Double(count), "messages")
        figures.record("chaos_\(name)_requests", Double(log.total), "requests")
        figures.record("chaos_\(name)_lost", Double(lost), "messages")
        figures.record("chaos_\(name)_raw_duplicates", Double(log.rawDuplicates), "requests")
        figures.record("chaos_\(name)_duplicates_after_dedup", Double(unexpected), "messages")
        if lost > 0 { verdict.problems.append("\(lost) message(s) lost") }
        if unexpected > 0 { verdict.problems.append("\(unexpected) message(s) sent under a key of their own") }
        let sent = try Outbox(store: Store(url: shop.database)).counts()[.sent] ?? 0
        if sent != count { verdict.problems.append("the outbox shows \(sent) of \(count) sent") }
        return log
    }
}
