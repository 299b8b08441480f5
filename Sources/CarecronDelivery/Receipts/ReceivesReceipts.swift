import CarecronDomain
import CarecronStorage
import Crypto
import Foundation

/// A provider's call to `/webhooks/receipts/NAME`, as the HTTP server received it.
public struct ReceiptRequest: Sendable {
    public let method: String
    public let query: [String: String]
    /// Header names in lower case.
    public let headers: [String: String]
    public let body: Data

    public init(method: String, query: [String: String], headers: [String: String], body: Data) {
        self.method = method
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// What a sender makes of such a call.
public enum ReceiptVerdict: Sendable, Equatable {
    /// Receipts to record (a provider may report several messages at once).
    case receipts([DeliveryReceipt])
    /// Authentic, but nothing to record (a status on the way, another event): answered 200.
    case nothing(String)
    /// Not from the provider (a wrong token or signature): answered 401, nothing recorded.
    case refused(String)
    /// From the provider, but not a shape it documents: answered 400, named.
    case malformed(String)
}

/// A sender whose provider reports delivery later, by calling carecron back.
public protocol ReceivesReceipts: Sender {
    /// Whether receipts are set up for this sender (its secret given in config.json).
    var takesReceipts: Bool { get }
    /// `clock`: the shop's, for an instant the provider writes without an offset.
    func receipts(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> ReceiptVerdict
}

enum ReceiptAuth {
    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 { bytes.map { String(format: "%02x", $0) }.joined() }
}
