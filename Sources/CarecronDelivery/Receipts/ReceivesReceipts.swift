import CarecronDomain
import CarecronStorage
import Crypto
import Foundation

/// A provider's call to `/webhooks/receipts/NAME` or `/webhooks/inbound/NAME`, as the HTTP
/// server received it.
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
public enum CallbackVerdict: Sendable, Equatable {
    /// What the provider reported: receipts to record (several messages at once, maybe) and
    /// customers' replies to store. Zalo sends both kinds of event to the one URL an app has.
    case heard(receipts: [DeliveryReceipt], replies: [InboundReply])
    /// Customers' star ratings of messages (Zalo's rating template, `user_feedback`): CSAT answers.
    case rated([ProviderRating])
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
    func receipts(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> CallbackVerdict
}

extension CallbackVerdict {
    public static func receipts(_ r: [DeliveryReceipt]) -> CallbackVerdict { .heard(receipts: r, replies: []) }
    public static func replies(_ r: [InboundReply]) -> CallbackVerdict { .heard(receipts: [], replies: r) }
}

/// A sender whose provider passes customers' answers on (`/webhooks/inbound/NAME`).
public protocol ReceivesReplies: Sender {
    /// Whether replies are set up for this sender (its secret given in config.json).
    var takesReplies: Bool { get }
    var channel: ChannelKind { get }
    func replies(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> CallbackVerdict
    /// The provider's own way of answering the customer in its reply to this call (eSMS's
    /// short-code `ClientResponse`), with `text` the opt-out's confirmation; nil: carecron's JSON.
    func answer(_ replies: [InboundReply], confirmation text: String?) -> ProviderAnswer?
}

extension ReceivesReplies {
    public func answer(_ replies: [InboundReply], confirmation text: String?) -> ProviderAnswer? { nil }
}

/// A body as the provider expects it back.
public struct ProviderAnswer: Sendable, Equatable {
    public let contentType: String
    public let body: String

    public init(contentType: String, body: String) {
        self.contentType = contentType
        self.body = body
    }
}
enum ReceiptAuth {
    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 { bytes.map { String(format: "%02x", $0) }.joined() }
}
