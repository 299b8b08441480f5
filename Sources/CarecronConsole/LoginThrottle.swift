import Foundation

/// Failed logins, counted per user and per address over a window: once either has had its
/// share, further attempts are refused without checking the password (even the right one)
/// until the oldest failure leaves the window. A success clears the user's count; the
/// address's count only ages, so that one valid account cannot reset a spray across others.
///
/// Attempts in flight count as failures until they end: forty parallel guesses may not all
/// slip in before the first one fails.
actor LoginThrottle {
    struct Limits: Sendable {
        var perUser = 5
        var perAddress = 20
        var window: TimeInterval = 15 * 60
    }

    enum Admission: Equatable {
        case admitted
        /// Refused until that instant; `first` is the first refusal since the limit was
        /// reached (the one worth a log line).
        case refused(until: Date, first: Bool)
    }

    private struct Record {
        var failures: [Date] = []
        var inFlight = 0
        var announced = false
    }

    let limits: Limits
    private var users: [String: Record] = [:]
    private var addresses: [String: Record] = [:]

    init(limits: Limits = Limits()) { self.limits = limits }

    func admit(user: String, address: String, now: Date) -> Admission {
        forgetExpired(now)
        let refusals = [Self.refusal(users[user], limit: limits.perUser, window: limits.window, now: now),
                        Self.refusal(addresses[address], limit: limits.perAddress, window: limits.window, now: now)].compactMap { $0 }
        if let until = refusals.max() {
            let first = !(users[user]?.announced ?? false) && !(addresses[address]?.announced ?? false)
            users[user, default: Record()].announced = true
            addresses[address, default: Record()].announced = true
            return .refused(until: until, first: first)
        }
        users[user, default: Record()].inFlight += 1
        addresses[address, default: Record()].inFlight += 1
        return .admitted
    }

    func finish(user: String, address: String, succeeded: Bool, now: Date) {
        users[user, default: Record()].inFlight -= 1
        addresses[address, default: Record()].inFlight -= 1
        if succeeded {
            users[user]?.failures = []
            users[user]?.announced = false
        } else {
            users[user]?.failures.append(now)
            addresses[address]?.failures.append(now)
        }
    }

    /// An attempt that ended without an answer (the server shutting down): neither a failure
    /// nor a success, but no longer in flight.
    func abandon(user: String, address: String) {
        users[user]?.inFlight -= 1
        addresses[address]?.inFlight -= 1
    }

    /// When the record may try again, if it may not now: failures and attempts in flight fill
    /// the limit; it frees up as the oldest failures leave the window (in flight: a second).
    private static func refusal(_ record: Record?, limit: Int, window: TimeInterval, now: Date) -> Date? {
        guard let record, record.failures.count + record.inFlight >= limit else { return nil }
        let mustExpire = record.failures.count + record.inFlight - limit + 1
        guard mustExpire <= record.failures.count else { return now.addingTimeInterval(1) }
        return record.failures[mustExpire - 1].addingTimeInterval(window)
    }

    /// Drops failures older than the window, and records left with nothing to remember (the
    /// names an attacker tries must not pile up in memory).
    private func forgetExpired(_ now: Date) {
        let horizon = now.addingTimeInterval(-limits.window)
        func prune(_ records: inout [String: Record], limit: Int) {
            for (key, var r) in records {
                let kept = r.failures.filter { $0 > horizon }
                if kept.isEmpty, r.inFlight == 0 {
                    records[key] = nil
                } else if kept.count != r.failures.count {
                    r.failures = kept
                    if kept.count + r.inFlight < limit { r.announced = false }
                    records[key] = r
                }
            }
        }
        prune(&users, limit: limits.perUser)
        prune(&addresses, limit: limits.perAddress)
    }
}
