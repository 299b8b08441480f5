import CarecronDomain
import CarecronStorage
import Crypto
import Foundation

/// eSMS's MO forwarding for a short code (developers.esms.vn, "Connect to shortcode service"):
/// a GET with `sender` (84…), `content`, `serviceNumber`, `keyword`, `smsid`, `cpid`,
/// `receiverTime` (yyyyMMddHHmmss, the shop's time) and `sign` =
/// base64(MD5(cpid + smsid + content + receiverTime + private key)). eSMS reads the answer as a
/// `ClientResponse` whose `Message` it sends back to the customer (the opt-out's confirmation).
enum ESMSReplies {
    static func sign(cpid: String, smsid: String, content: String, time: String, key: String) -> String {
        Data(Insecure.MD5.hash(data: Data((cpid + smsid + content + time + key).utf8))).base64EncodedString()
    }

    static func parse(_ r: ReceiptRequest, sender: String, cpid: String, key: String, now: Date, clock: ShopClock) -> CallbackVerdict {
        let q = r.query
        guard let smsid = q["smsid"], let content = q["content"], let time = q["receiverTime"], let given = q["sign"], q["cpid"] == cpid,
              ConstantTime.equal(given, sign(cpid: cpid, smsid: smsid, content: content, time: time, key: key)) else {
            return .refused("the sign does not match")
        }
        guard let from = q["sender"], let phone = try? PhoneNumber(parsing: from) else { return .malformed("sender is not a phone number") }
        return .replies([InboundReply(sender: sender, channel: ChannelKind.sms.rawValue, providerId: smsid, from: .phone(phone.e164),
                                      text: content, at: received(time, clock: clock) ?? now)])
    }

    /// "20261207103000" in the shop's time.
    static func received(_ text: String, clock: ShopClock) -> Date? {
        let d = Array(text.utf8).map { Int($0) - 48 }
        guard d.count == 14, d.allSatisfy({ (0...9).contains($0) }) else { return nil }
        func n(_ from: Int, _ count: Int) -> Int { d[from..<from + count].reduce(0) { $0 * 10 + $1 } }
        let iso = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", n(0, 4), n(4, 2), n(6, 2), n(8, 2), n(10, 2), n(12, 2))
        return InstantFormat.parse(iso, clock: clock)
    }

    static func answer(_ replies: [InboundReply], text: String?) -> ProviderAnswer {
        let r = replies.first
        return ProviderAnswer(contentType: "text/xml; charset=utf-8", body: """
            <ClientResponse><Message>\((text ?? "").markupEscaped)</Message><Smsid>\((r?.providerId ?? "").markupEscaped)</Smsid>\
            <Receiver>\((r.map { String($0.from.address.dropFirst()) } ?? "").markupEscaped)</Receiver></ClientResponse>
            """)
    }
}

extension SMSHTTPSender: ReceivesReplies {
    public var takesReplies: Bool { shortCode != nil }
    public var channel: ChannelKind { .sms }

    public func replies(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> CallbackVerdict {
        guard let shortCode else { return .refused("replies are not set up for this sender (cpid and moPrivateKey)") }
        return ESMSReplies.parse(request, sender: name, cpid: shortCode.cpid, key: shortCode.key, now: now, clock: clock)
    }

    public func answer(_ replies: [InboundReply], confirmation text: String?) -> ProviderAnswer? {
        ESMSReplies.answer(replies, text: text)
    }
}
