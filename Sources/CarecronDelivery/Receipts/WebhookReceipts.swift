import CarecronDomain
import CarecronStorage
import Foundation

/// The webhook sender's receipt (README, "Delivery receipts"): the receiver POSTs JSON
/// `{"idempotencyKey": "…", "status": "delivered" | "undelivered", "at": "2026-12-07T10:00:00+07:00",
/// "reason": "…"}` (`at` and `reason` optional), signed as carecron signs its own requests:
/// `X-Carecron-Signature: sha256=HMAC-SHA256(body, secret)`.
enum WebhookReceipts {
    static func signed(_ r: ReceiptRequest, secret: String) -> Bool {
        r.headers["x-carecron-signature"].map { ConstantTime.equal($0, WebhookSender.signature(r.body, secret: secret)) } ?? false
    }

    /// `"at"`, when given, as an instant; now otherwise.
    static func instant(_ json: JSONValue, now: Date, clock: ShopClock) -> Result<Date, BadInstant> {
        guard case .string(let text)? = json["at"] else { return .success(now) }
        guard let parsed = InstantFormat.parse(text, clock: clock) else { return .failure(BadInstant(text: text)) }
        return .success(parsed)
    }

    struct BadInstant: Error, CustomStringConvertible {
        let text: String
        var description: String { "at \"\(text)\" is not an instant (write 2026-12-07T10:05:00+07:00)" }
    }

    /// The webhook sender's inbound reply (README, "Replies and opt-outs"): the receiving system
    /// POSTs `{"id": "…", "phone": "0912345678" | "zaloUserId": "…", "text": "TC", "at": "…"}`
    /// (`id` and `at` optional), signed like a receipt.
    static func reply(_ r: ReceiptRequest, sender: String, secret: String, now: Date, clock: ShopClock) -> CallbackVerdict {
        guard signed(r, secret: secret) else { return .refused("the signature does not match") }
        guard let json = try? JSONReader.parse(r.body), case .object = json else { return .malformed("the body is not a JSON object") }
        guard case .string(let text)? = json["text"] else { return .malformed("text is missing") }
        let from: InboundReply.From
        if case .string(let p)? = json["phone"] {
            guard let phone = try? PhoneNumber(parsing: p) else { return .malformed("phone \"\(p)\" is not a phone number") }
            from = .phone(phone.e164)
        } else if case .string(let z)? = json["zaloUserId"], !z.isEmpty {
            from = .zaloUser(z)
        } else {
            return .malformed("phone or zaloUserId is missing")
        }
        let at: Date
        switch instant(json, now: now, clock: clock) {
        case .success(let d): at = d
        case .failure(let why): return .malformed(why.description)
        }
        let id: String? = if case .string(let i)? = json["id"] { i } else { nil }
        return .replies([InboundReply(sender: sender, channel: ChannelKind.webhook.rawValue, providerId: id, from: from, text: text, at: at)])
    }

    static func parse(_ r: ReceiptRequest, sender: String, secret: String, now: Date, clock: ShopClock) -> CallbackVerdict {
        guard signed(r, secret: secret) else { return .refused("the signature does not match") }
        guard let json = try? JSONReader.parse(r.body) else { return .malformed("the body is not JSON") }
        guard case .string(let key)? = json["idempotencyKey"], !key.isEmpty else { return .malformed("idempotencyKey is missing") }
        guard case .string(let s)? = json["status"], let status = DeliveryReceipt.Status(rawValue: s) else {
            return .malformed("status must be \"delivered\" or \"undelivered\"")
        }
        let at: Date
        switch instant(json, now: now, clock: clock) {
        case .success(let d): at = d
        case .failure(let why): return .malformed(why.description)
        }
        let reason: String? = if case .string(let r)? = json["reason"] { r } else { nil }
        return .receipts([DeliveryReceipt(sender: sender, reference: .idempotencyKey(key), status: status, at: at, reason: reason)])
    }
}

extension WebhookSender: ReceivesReceipts {
    public var takesReceipts: Bool { secret != nil }

    public func receipts(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> CallbackVerdict {
        guard let secret else { return .refused("receipts need the sender's secret") }
        return WebhookReceipts.parse(request, sender: name, secret: secret, now: now, clock: clock)
    }
}

extension WebhookSender: ReceivesReplies {
    public var takesReplies: Bool { secret != nil }
    public var channel: ChannelKind { .webhook }

    public func replies(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> CallbackVerdict {
        guard let secret else { return .refused("replies need the sender's secret") }
        return WebhookReceipts.reply(request, sender: name, secret: secret, now: now, clock: clock)
    }
}
