import CarecronDomain
import CarecronStorage
import Foundation

/// eSMS's delivery report (developers.esms.vn, "Callback URL"): an HTTP GET to the
/// `CallbackUrl` given at sending, every value in the query — `SMSID`, `SendStatus` (1 waiting
/// for approval, 2 waiting to send, 4 rejected, 5 sending finished, 7 handed to the carrier and
/// waiting for its report), `SendSuccess` / `SendFailed` (how many of the message's receivers),
/// `RequestId`, `TypeId`, `telcoid`, `phonenumber`. eSMS retries up to 5 times and signs
/// nothing, so the URL carries a secret token: `…/webhooks/receipts/NAME?token=SECRET`.
enum ESMSReceipts {
    static func parse(_ r: ReceiptRequest, sender: String, token: String, now: Date) -> CallbackVerdict {
        guard let given = r.query["token"], ConstantTime.equal(given, token) else { return .refused("the token is missing or wrong") }
        guard let id = r.query["SMSID"], !id.isEmpty else { return .malformed("SMSID is missing") }
        guard let status = r.query["SendStatus"].flatMap(Int.init) else { return .malformed("SendStatus is missing or not a number") }
        let succeeded = r.query["SendSuccess"].flatMap(Int.init), failed = r.query["SendFailed"].flatMap(Int.init)
        func receipt(_ s: DeliveryReceipt.Status, _ reason: String? = nil) -> CallbackVerdict {
            .receipts([DeliveryReceipt(sender: sender, reference: .providerId(id), status: s, at: now, reason: reason)])
        }
        switch status {
        case 4:
            return receipt(.undelivered, "eSMS SendStatus 4 (rejected)")
        case 5:
            // 5 says sending finished, not that it worked (eSMS's own warning): the counts do.
            if let failed, failed > 0, (succeeded ?? 0) == 0 { return receipt(.undelivered, "eSMS SendStatus 5, SendFailed \(failed)") }
            return receipt(.delivered)
        case 1, 2, 7:
            return .nothing("eSMS SendStatus \(status): not final yet")
        default:
            return .malformed("SendStatus \(status) is not one eSMS documents")
        }
    }
}

extension SMSHTTPSender: ReceivesReceipts {
    public var takesReceipts: Bool { receiptToken != nil }

    public func receipts(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> CallbackVerdict {
        guard let receiptToken else { return .refused("receipts are not set up for this sender") }
        return ESMSReceipts.parse(request, sender: name, token: receiptToken, now: now)
    }
}
