import CarecronDomain
import CarecronStorage
import Foundation

/// What customers wrote back (*Tin khách trả lời*): every reply, newest first, whom it came
/// from (or that nobody has that phone or Zalo id), and what an opt-out did.
struct RepliesModel: PageModel {
    struct Reply: Encodable {
        let at: String
        let channel: String
        let from: String
        let customerId: String?
        let customerName: String?
        let text: String
        /// "Từ chối tin quảng cáo · 2 tin đang chờ đã hủy", for an opt-out (named apart from the
        /// customer page's own `optOut`, which a reply without one would show through Mustache's context).
        let replyOptOut: String?
    }

    /// Low survey scores, newest first: customers the care team should call back.
    struct FollowUp: Encodable {
        let at: String
        let customerId: String
        let customerName: String?
        let score: String
        let orderId: String?
    }

    let replies: [Reply]
    let followUps: [FollowUp]
    /// Stored, not computed: the templates read the model's stored properties.
    let hasFollowUps: Bool
    /// Conversations waiting for the care team (issue 29), and whether the list is the user's own.
    var waiting: [WaitingConversation] = []
    var onlyMine = false
    var choosesMine = false

    init(replies: [Reply], followUps: [FollowUp] = []) {
        self.replies = replies
        self.followUps = followUps
        hasFollowUps = !followUps.isEmpty
    }
}

extension RepliesModel.FollowUp {
    init(_ a: SurveyAnswer, words: ScheduleWords, clock: ShopClock) {
        at = words.instant(a.answeredAt, clock: clock)
        customerId = a.customerId
        customerName = a.customerName
        score = words.say(Sentence("survey.low_score", ["measure": .text(a.measure.rawValue.uppercased()), "score": .number(a.score),
                                                        "top": .number(a.measure.scale.upperBound)]))
        orderId = a.orderId.isEmpty ? nil : a.orderId
    }
}

extension RepliesModel.Reply {
    init(_ r: StoredReply, words: ScheduleWords, clock: ShopClock) {
        at = words.instant(r.receivedAt, clock: clock)
        channel = r.channel
        from = Masking.contact(r.from)
        customerId = r.customerId
        customerName = r.customerName
        text = r.text
        replyOptOut = r.optOut.map { opted in
            let what = Sentence.Value.word("optout.\(opted.rawValue)")
            return words.say(r.cancelled == 0 ? Sentence("reply.optout_badge_none", ["what": what])
                                              : Sentence("reply.optout_badge", ["what": what, "cancelled": .number(r.cancelled)]))
        }
    }
}
