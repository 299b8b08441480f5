import Foundation

/// A job's template variants as an A/B experiment (issue 28): each customer is given one arm
/// (a variant) by a fixed hash of the customer and the job, in the split's proportions, and
/// keeps it across restarts, nodes and replays; every message records its arm (the outbox's
/// `variant`). Naming a `winner` ends the experiment: its record stays, and the next plan gives
/// every customer the chosen arm.
public struct Experiment: Sendable, Equatable {
    /// Each arm's share in percent, in the order of the job's variants; they add up to 100.
    public var split: [Int]
    /// Below this many sends in an arm, the results say "not enough data yet" rather than a winner.
    public var minimumPerArm: Int
    /// The chosen arm (0-based) once the experiment has ended.
    public var winner: Int?

    public init(split: [Int], minimumPerArm: Int = Experiment.defaultMinimum, winner: Int? = nil) {
        self.split = split
        self.minimumPerArm = minimumPerArm
        self.winner = winner
    }

    public static let defaultMinimum = 500

    /// The customer's arm: the winner's once there is one.
    public func arm(for customerId: String, job: String) -> Int {
        if let winner { return winner }
        // Its own salt: who is in an arm does not follow who is in the control group.
        let at = Holdout.position(customerId, job: job, salt: "\u{1}arm") * 100
        var upTo = 0.0
        for (i, share) in split.enumerated() {
            upTo += Double(share)
            if at < upTo { return i }
        }
        return split.count - 1
    }
}
