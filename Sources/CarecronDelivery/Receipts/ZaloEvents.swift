import CarecronDomain
import CarecronStorage
import Crypto
import Foundation

/// Zalo's webhook events for a ZNS sender (developers.zalo.me, "Sự kiện người dùng nhận tin"):
/// a POST of JSON with `X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + OA secret key)`
/// (hex, the body as received, `timestamp` the body's own field). `user_received_message`
/// carries `message.msg_id` (the id ZNS answered at sending) and `message.delivery_time` (ms).
/// Zalo expects 200 within 2 s and retries otherwise. An app has one webhook URL for every
/// event: `user_send_text` (a follower wrote to the OA: `sender.id`, `message.text`,
/// `message.msg_id`, `timestamp` in ms) is a reply, whichever of the two endpoints it reaches.
/// `user_feedback` is a customer's rating through a ZNS rating template: `message.rate` (1–5
/// stars), `message.note`, `message.msg_id` (the rated message; the event names no user),
/// `message.submit_time` (ms); a CSAT answer.
enum ZaloEvents {
    static func signature(appId: String, body: Data, timestamp: String, secret: String) -> String {
        var bytes = Data(appId.utf8)
        bytes.append(body)
        bytes.append(Data((timestamp + secret).utf8))
        return ReceiptAuth.hex(SHA256.hash(data: bytes))
    }

    static func parse(_ r: ReceiptRequest, sender: String, appId: String, secret: String, now: Date) -> CallbackVerdict {
        guard let json = try? JSONReader.parse(r.body), case .object = json else { return .malformed("the body is not a JSON object") }
        // Zalo writes its numbers as strings; either reads the same.
        func text(_ path: String...) -> String? { json.value(at: path)?.fieldText }
        guard let timestamp = text("timestamp"), let header = r.headers["x-zevent-signature"] else { return .refused("no signature") }
        let given = header.hasPrefix("mac=") ? String(header.dropFirst(4)) : header
        let expected = signature(appId: text("app_id") ?? appId, body: r.body, timestamp: timestamp, secret: secret)
        guard text("app_id") == appId, ConstantTime.equal(given.lowercased(), expected) else { return .refused("the signature does not match") }
        func milliseconds(_ path: String...) -> Date? { json.value(at: path)?.fieldText.flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) } }
        switch text("event_name") {
        case "user_received_message":
            guard let id = text("message", "msg_id"), !id.isEmpty else { return .malformed("message.msg_id is missing") }
            let at = milliseconds("message", "delivery_time") ?? now
            return .receipts([DeliveryReceipt(sender: sender, reference: .providerId(id), status: .delivered, at: at)])
        case "user_send_text":
            guard let from = text("sender", "id"), !from.isEmpty else { return .malformed("sender.id is missing") }
            guard let words = text("message", "text") else { return .malformed("message.text is missing") }
            return .replies([InboundReply(sender: sender, channel: ChannelKind.zalo.rawValue, providerId: text("message", "msg_id"),
                                          from: .zaloUser(from), text: words, at: milliseconds("timestamp") ?? now)])
        case "user_feedback":
            guard let id = text("message", "msg_id"), !id.isEmpty else { return .malformed("message.msg_id is missing") }
            guard let rate = text("message", "rate").flatMap(Int.init), SurveyMeasure.csat.scale.contains(rate) else {
                return .malformed("message.rate is not 1 to 5")
            }
            return .rated([ProviderRating(sender: sender, providerId: id, score: rate, note: text("message", "note"),
                                          at: milliseconds("message", "submit_time") ?? now)])
        case let other:
            return .nothing("event \(other ?? "?") is neither a receipt nor a reply")
        }
    }
}

extension ZaloZNSSender: ReceivesReceipts {
    public nonisolated var takesReceipts: Bool { appId != nil && oaSecretKey != nil }

    public nonisolated func receipts(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> CallbackVerdict {
        guard let appId, let oaSecretKey else { return .refused("receipts are not set up for this sender") }
        return ZaloEvents.parse(request, sender: name, appId: appId, secret: oaSecretKey, now: now)
    }
}

extension ZaloZNSSender: ReceivesReplies {
    public nonisolated var takesReplies: Bool { takesReceipts }
    public nonisolated var channel: ChannelKind { .zalo }

    public nonisolated func replies(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> CallbackVerdict {
        receipts(request, now: now, clock: clock)
    }
}
