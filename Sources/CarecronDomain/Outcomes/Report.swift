import Foundation

/// What each job achieved over a span (issue 28): its funnel, planned → sent → delivered →
/// converted, its revenue, and, where it holds out a control group, the lift over the group with
/// its uncertainty. Built from the attribution's conversions; figures the CLI, the API and the
/// console print alike.
public struct JobOutcome: Sendable, Equatable {
    public var job: String
    /// Rows the outbox recorded in the span (the control group's included).
    public var planned = 0
    public var sent = 0
    public var delivered = 0
    public var heldOut = 0
    /// Messages (sent) with at least one conversion credited, and the control group's.
    public var converted = 0
    public var controlConverted = 0
    /// Đồng of the orders credited to the sent messages (each order once for this job).
    public var revenue = 0
    public var conversions = 0

    public init(job: String) { self.job = job }

    public var rate: Double? { sent == 0 ? nil : Double(converted) / Double(sent) }
    public var controlRate: Double? { heldOut == 0 ? nil : Double(controlConverted) / Double(heldOut) }

    /// The sent messages' rate less the control group's, with a 95% interval (normal
    /// approximation of a difference of two proportions); nil without a control group.
    public var lift: (value: Double, low: Double, high: Double)? {
        guard let p = rate, let q = controlRate else { return nil }
        let se = ((p * (1 - p)) / Double(sent) + (q * (1 - q)) / Double(heldOut)).squareRoot()
        return (p - q, p - q - 1.959964 * se, p - q + 1.959964 * se)
    }
}

/// The outbox's row as the report counts it.
public struct FunnelRow: Sendable, Equatable {
    public let job: String
    public let sent: Bool
    public let delivered: Bool
    public let heldOut: Bool

    public init(job: String, sent: Bool, delivered: Bool, heldOut: Bool) {
        self.job = job
        self.sent = sent
        self.delivered = delivered
        self.heldOut = heldOut
    }
}

public enum OutcomeReport {
    /// Per job, in name order.
    public static func byJob(funnel: [FunnelRow], conversions: [Conversion]) -> [JobOutcome] {
        var out: [String: JobOutcome] = [:]
        for r in funnel {
            var o = out[r.job] ?? JobOutcome(job: r.job)
            o.planned += 1
            if r.sent { o.sent += 1 }
            if r.delivered { o.delivered += 1 }
            if r.heldOut { o.heldOut += 1 }
            out[r.job] = o
        }
        for (job, list) in Dictionary(grouping: conversions, by: \.job) {
            var o = out[job] ?? JobOutcome(job: job)
            let sent = list.filter { !$0.heldOut }, control = list.filter(\.heldOut)
            o.converted = Set(sent.map(\.messageId)).count
            o.controlConverted = Set(control.map(\.messageId)).count
            o.revenue = sent.reduce(0) { $0 + $1.revenue }
            o.conversions = sent.count
            out[job] = o
        }
        return out.values.sorted { $0.job < $1.job }
    }
}
