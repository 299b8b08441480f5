import CarecronDomain
import CarecronStorage
import Foundation

/// The webhook sender's receipt (README, "Delivery receipts"): the receiver POSTs JSON
/// `{"idempotencyKey": "…", "status": "delivered" | "undelivered", "at": "2026-12-07T10:00:00+07:00",
/// "reason": "…"}` (`at` and `reason` optional), signed as carecron signs its own requests:
/// `X-Carecron-Signature: sha256=HMAC-SHA256(body, secret)`.
enum WebhookReceipts {
    static func parse(_ r: ReceiptRequest, sender: String, secret: String, now: Date, clock: ShopClock) -> ReceiptVerdict {
        guard let given = r.headers["x-carecron-signature"],
              ConstantTime.equal(given, WebhookSender.signature(r.body, secret: secret)) else { return .refused("the signature does not match") }
        guard let json = try? JSONReader.parse(r.body) else { return .malformed("the body is not JSON") }
        guard case .string(let key)? = json["idempotencyKey"], !key.isEmpty else { return .malformed("idempotencyKey is missing") }
        guard case .string(let s)? = json["status"], let status = DeliveryReceipt.Status(rawValue: s) else {
            return .malformed("status must be \"delivered\" or \"undelivered\"")
        }
        var at = now
        if case .string(let text)? = json["at"] {
            guard let parsed = InstantFormat.parse(text, clock: clock) else { return .malformed("at \"\(text)\" is not an instant (write 2026-12-07T10:05:00+07:00)") }
            at = parsed
        }
        let reason: String? = if case .string(let r)? = json["reason"] { r } else { nil }
        return .receipts([DeliveryReceipt(sender: sender, reference: .idempotencyKey(key), status: status, at: at, reason: reason)])
    }
}

extension WebhookSender: ReceivesReceipts {
    public var takesReceipts: Bool { secret != nil }

    public func receipts(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> ReceiptVerdict {
        guard let secret else { return .refused("receipts need the sender's secret") }
        return WebhookReceipts.parse(request, sender: name, secret: secret, now: now, clock: clock)
    }
}
