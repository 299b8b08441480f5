import Crypto
import Foundation

/// The link to a one-question survey page served by carecron (`/s/TOKEN`): signed per job,
/// customer and order with the shop's survey secret, so nobody answers for someone else and a
/// link cannot be made up; a second answer through it is refused by the store (single use).
/// The same customer and order always get the same link, so a plan is the same however often it
/// is made.
public struct SurveyLinks: Sendable {
    /// Where the shop's carecron is reached from customers' phones ("https://cskh.shop.vn").
    public let base: String
    let secret: Data

    public init(base: String, secret: String) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.secret = Data(secret.utf8)
    }

    /// What a link answers for.
    public struct Subject: Sendable, Equatable {
        public let job: String
        public let customerId: String
        /// The order asked about ("" for a survey on a cadence).
        public let orderId: String

        public init(job: String, customerId: String, orderId: String) {
            self.job = job
            self.customerId = customerId
            self.orderId = orderId
        }
    }

    public func link(_ subject: Subject) -> String { "\(base)/s/\(token(subject))" }

    public func token(_ subject: Subject) -> String {
        let payload = Data([subject.job, subject.customerId, subject.orderId].joined(separator: "\n").utf8)
        return Self.base64url(payload) + "." + Self.base64url(signature(payload))
    }

    /// The subject of a token this shop signed; nil for anything else.
    public func subject(of token: Substring) -> Subject? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Self.data(base64url: parts[0]), let mac = Self.data(base64url: parts[1]), mac.count == 16,
              constantTimeEqual(signature(payload), mac) else { return nil }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty else { return nil }
        return Subject(job: fields[0], customerId: fields[1], orderId: fields[2])
    }

    /// 128 bits of HMAC-SHA256: a link stays short enough for an SMS.
    func signature(_ payload: Data) -> Data { Data(HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: secret))).prefix(16) }

    func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public static func base64url(_ d: Data) -> String {
        d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func data(base64url s: Substring) -> Data? {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return Data(base64Encoded: b)
    }
}
