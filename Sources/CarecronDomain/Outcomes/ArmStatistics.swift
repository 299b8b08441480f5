import Foundation

/// How an experiment's arm compares with the strongest of the others (issue 28, item 3): the
/// probability that its true rate is the higher one, a two-proportion test's p-value, and what
/// a shop owner may conclude, which is "not enough data yet" until every arm has its minimum.
public struct ArmComparison: Sendable, Equatable {
    /// P(this arm's rate > the other's), each rate Beta(1 + converted, 1 + sent − converted).
    public var probabilityBeats: Double
    /// The pooled two-proportion z-test's two-sided p-value; nil where no arm converted or all did.
    public var pValue: Double?
    public var verdict: ArmVerdict
}

public enum ArmVerdict: String, Sendable, Equatable {
    /// An arm has fewer sends than the experiment's minimum: no winner is named.
    case notEnoughData = "not enough data yet"
    /// At least 95% likely to beat the others.
    case leads
    /// At most 5% likely to beat the others.
    case trails
    /// Enough data, no arm clearly ahead.
    case noClearDifference = "no clear difference"
    /// The experiment ended with this arm chosen, or with another.
    case chosen, notChosen = "not chosen"

    /// How the report says it (`{minimum}` where the minimum matters).
    public func sentence(minimum: Int) -> Sentence {
        Sentence("arm.\(String(describing: self))", ["minimum": .number(minimum)])
    }
}

extension Proportions {
    /// P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2) with integer parameters: Evan Miller's
    /// closed form ("Formulas for Bayesian A/B testing"), summed over the smaller of the two a's.
    public static func probabilityGreater(a1: Int, b1: Int, a2: Int, b2: Int) -> Double {
        // Σ_{i<a1} B(a2+i, b1+b2) / ((b1+i) B(1+i, b1) B(a2, b2)) is P(X > Y).
        func sum(_ aX: Int, _ bX: Int, _ aY: Int, _ bY: Int) -> Double {
            var total = 0.0
            let fixed = logBeta(Double(aY), Double(bY))
            for i in 0..<aX {
                let i = Double(i)
                total += exp(logBeta(Double(aY) + i, Double(bX + bY)) - log(Double(bX) + i) - logBeta(1 + i, Double(bX)) - fixed)
            }
            return total
        }
        let p = a1 <= a2 ? sum(a1, b1, a2, b2) : 1 - sum(a2, b2, a1, b1)
        return min(1, max(0, p))
    }

    static func logBeta(_ a: Double, _ b: Double) -> Double { lgamma(a) + lgamma(b) - lgamma(a + b) }

    /// The probability that arm 1's rate beats arm 2's, with a uniform prior on each.
    public static func probabilityBeats(_ k1: Int, of n1: Int, _ k2: Int, of n2: Int) -> Double {
        probabilityGreater(a1: 1 + k1, b1: 1 + n1 - k1, a2: 1 + k2, b2: 1 + n2 - k2)
    }

    /// The pooled two-proportion z-test of k1/n1 = k2/n2, two-sided (statsmodels'
    /// `proportions_ztest`); nil where the pooled rate is 0 or 1 and the test says nothing.
    public static func twoProportionPValue(_ k1: Int, of n1: Int, _ k2: Int, of n2: Int) -> Double? {
        guard n1 > 0, n2 > 0 else { return nil }
        let pooled = Double(k1 + k2) / Double(n1 + n2)
        let se = (pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))).squareRoot()
        guard se > 0 else { return nil }
        let z = (Double(k1) / Double(n1) - Double(k2) / Double(n2)) / se
        return erfc(abs(z) / 2.0.squareRoot())
    }
}

extension OutcomeReport {
    /// Each arm of each experiment compared with the strongest of its others; `rows` are grouped by
    /// variant. Jobs without an experiment are left as they are.
    public static func compareArms(_ rows: [JobOutcome], experiments: [String: Experiment]) -> [JobOutcome] {
        var out = rows
        let byJob = Dictionary(grouping: rows.indices, by: { rows[$0].job })
        for (job, indices) in byJob {
            guard let experiment = experiments[job], indices.count >= 2 else { continue }
            let short = indices.contains { rows[$0].sent < experiment.minimumPerArm }
            for i in indices {
                let me = rows[i]
                // The strongest other arm: the one this arm must beat.
                guard let other = indices.filter({ $0 != i }).map({ rows[$0] }).max(by: { ($0.rate ?? 0) < ($1.rate ?? 0) }) else { continue }
                let p = Proportions.probabilityBeats(me.converted, of: me.sent, other.converted, of: other.sent)
                let verdict: ArmVerdict
                if let winner = experiment.winner {
                    verdict = me.group == OutcomeGrouping.variantName(winner) ? .chosen : .notChosen
                } else if short {
                    verdict = .notEnoughData
                } else {
                    verdict = p >= 0.95 ? .leads : p <= 0.05 ? .trails : .noClearDifference
                }
                out[i].comparison = ArmComparison(probabilityBeats: p, pValue: Proportions.twoProportionPValue(me.converted, of: me.sent, other.converted, of: other.sent),
                                                  verdict: verdict)
                out[i].minimumPerArm = experiment.minimumPerArm
            }
        }
        return out
    }
}
