import Foundation

/// A job's control group (issue 28): a share of its eligible customers who are planned but not
/// sent, so that what the messages achieve can be measured against customers who had none.
/// Who is in it follows from the customer and the job alone (a fixed hash, not Swift's seeded
/// one): the same customer stays in or out across restarts, nodes and replays.
public struct Holdout: Sendable, Equatable {
    /// The share held out, 0 < share ≤ 0.5.
    public var share: Double
    /// For a job that reminds in turns: the first reminder the group misses (1: all of them).
    public var fromReminder: Int
    /// The marketer's explicit word that a transactional duty of the handbook may be withheld.
    public var includesRequired: Bool

    public init(share: Double, fromReminder: Int = 1, includesRequired: Bool = false) {
        self.share = share
        self.fromReminder = fromReminder
        self.includesRequired = includesRequired
    }

    public static let largestShare = 0.5
    /// How the outbox's record of a control group's message begins (its reason, in English).
    public static let recordPrefix = "control group"

    /// Whether this customer is in the job's control group.
    public func holds(_ customerId: String, job: String) -> Bool {
        Self.position(customerId, job: job) < share
    }

    /// Whether this message of the job is withheld from a customer of the group.
    public func withholds(reminder: Int?) -> Bool { (reminder ?? 1) >= fromReminder }

    /// Where the customer falls in [0, 1) for this job: FNV-1a over "job salt␀customer", its top
    /// 53 bits. Fed piece by piece: planning hashes every candidate, and a joined string apiece
    /// would cost an allocation each.
    public static func position(_ customerId: String, job: String, salt: String = "") -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        for byte in job.utf8 { mix(byte) }
        for byte in salt.utf8 { mix(byte) }
        mix(0)
        for byte in customerId.utf8 { mix(byte) }
        // FNV's low bits mix poorly on short keys: one more avalanche (splitmix64's finaliser).
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }

    /// Why a message is not sent, said for people ("nhóm đối chứng 5%").
    public var reason: Sentence { Sentence("skip.holdout", ["share": .text(Self.percent(share))]) }

    static func percent(_ share: Double) -> String {
        let p = share * 100
        return p == p.rounded() ? "\(Int(p))%" : String(format: "%.1f%%", p)
    }
}
