import Foundation

/// Every sentence carecron says to a person about what it did or did not do, by code, in
/// Vietnamese and English. `{name}` is a value of the sentence. A code that is missing here
/// says itself (a test fails on it), never an empty line.
public enum Catalogue {
    public static func template(_ code: String, _ language: Language) -> String {
        guard let entry = entries[code] else { return code }
        return language == .vi ? entry.vi : entry.en
    }

    public static func has(_ code: String) -> Bool { entries[code] != nil }

    public struct Entry: Sendable {
        public let vi: String
        public let en: String
    }

    public static var all: [(code: String, entry: Entry)] { entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }

    static let entries: [String: Entry] = [
        // Why a candidate was not sent then (the plan's reasons, `simulate --explain`).
        "skip.job_disabled": .init(vi: "Công việc {job} đang tắt", en: "job {job} is disabled"),
        "skip.customer_unknown": .init(vi: "Không có khách hàng {customer} trong dữ liệu", en: "customer {customer} is not in the store"),
        "skip.opted_out_all": .init(vi: "Khách đã từ chối nhận mọi tin nhắn", en: "the customer opted out of all messages"),
        "skip.opted_out_marketing": .init(vi: "Khách đã từ chối nhận tin quảng cáo", en: "the customer opted out of marketing"),
        "skip.no_address": .init(vi: "Khách không có địa chỉ nhận cho kênh nào của công việc ({channels})",
                                 en: "no address for any channel ({channels})"),
        "skip.holdout": .init(vi: "Nhóm đối chứng ({share} khách của công việc không nhận tin, để đo hiệu quả)", en: "control group (holdout {share}: planned, not sent, to measure the job)"),
        "check.experiment_in_turns": .init(vi: "công việc này dùng mỗi mẫu cho một lần nhắc: không thể thử A/B giữa các mẫu", en: "this job gives each reminder its own variant: its variants cannot be A/B arms"),
        "check.experiment_conditions": .init(vi: "có mẫu chỉ dùng cho một số đơn hoặc hạng khách (minAmount, tiers): bỏ điều kiện đó để thử A/B", en: "a variant is kept for some orders or tiers (minAmount, tiers): remove that to run an A/B experiment"),
        "check.experiment_split": .init(vi: "“split” cần một tỉ lệ cho mỗi mẫu ({n} mẫu, ít nhất 2), cộng lại 100, thấy {split}", en: "\"split\" needs one share per variant ({n} variants, at least 2) adding up to 100, found {split}"),
        "check.goal_fixed": .init(vi: "mục tiêu của loại công việc này cố định (đơn được thanh toán / được giao): không đặt “within”", en: "this job type's goal is fixed (the order paid / delivered): no \"within\""),
        "check.goal_window": .init(vi: "khoảng thời gian của mục tiêu phải từ 1 ngày đến 365 ngày, thấy {value}", en: "the goal's window must be 1 to 365 days, found {value}"),
        "check.holdout_share": .init(vi: "tỉ lệ nhóm đối chứng phải lớn hơn 0 và không quá 0.5, thấy {value}", en: "the holdout share must be above 0 and at most 0.5, found {value}"),
        "check.holdout_required": .init(vi: "nhóm đối chứng sẽ giữ lại tin bắt buộc theo sổ tay (tin giao dịch đầu tiên): chỉ giữ từ lần nhắc thứ hai (“fromReminder”: 2), hoặc ghi rõ “includesRequired”: true", en: "a holdout would withhold a message the handbook requires (the first transactional message): hold out from the second reminder (\"fromReminder\": 2), or say \"includesRequired\": true"),
        "skip.quiet_moved": .init(vi: "Rơi vào giờ yên lặng: dời sang {at}", en: "quiet hours: moved to {at}"),
        "skip.quiet_dropped": .init(vi: "Rơi vào giờ yên lặng: công việc này bỏ tin đến hạn lúc đó",
                                    en: "quiet hours: the job drops what falls due then"),
        "skip.cap_moved": .init(vi: "Đã đủ {cap} tin quảng cáo trong 24 giờ: dời sang {at}",
                                en: "marketing cap reached ({cap} in 24 h): moved to {at}"),
        "skip.cap_dropped": .init(vi: "Đã đủ {cap} tin quảng cáo trong 24 giờ: bỏ, lời chúc không gửi muộn",
                                  en: "marketing cap reached ({cap} in 24 h): dropped, a greeting is never late"),
        "skip.cap_yielded": .init(vi: "Đã đủ {cap} tin quảng cáo trong 24 giờ: một tin quảng cáo khác cho khách này được gửi trước",
                                  en: "marketing cap reached ({cap} in 24 h): another advertising message to this customer within 24 h goes first"),
        "skip.order_withdrawn": .init(vi: "Đơn {order} đã {status}", en: "order {order} was {status}"),
        "skip.delivered_before_confirmation": .init(vi: "Đơn {order} đã giao trước khi kịp xác nhận",
                                                    en: "order {order} was delivered before the confirmation"),
        "skip.paid_before_expiry": .init(vi: "Đơn {order} đã thanh toán trước khi hết hạn", en: "order {order} was paid before it could expire"),
        "skip.expiry_notice_late": .init(vi: "Không báo hết hạn: tin sẽ đến muộn {late} sau khi đơn {order} hết thời gian giữ, quá mức cho phép ({lateness})",
                                         en: "no expiry notice: it would come {late} after order {order}'s hold ended, past the job's lateness ({lateness})"),
        "skip.no_slot": .init(vi: "Nhắc lần {number}: không còn giờ gửi nào trước khi đơn hết hạn",
                              en: "reminder #{number}: no slot left before the order expires"),
        "skip.paid_before_slot": .init(vi: "Nhắc lần {number}: đơn {order} đã thanh toán trước giờ gửi",
                                       en: "reminder #{number}: order {order} was paid before the slot"),
        "skip.expired_before_slot": .init(vi: "Nhắc lần {number}: đơn {order} đã hết hạn trước giờ gửi",
                                          en: "reminder #{number}: order {order} expired before the slot"),
        "skip.campaign_too_late": .init(vi: "Quá muộn: thời gian gửi của chiến dịch đã hết lúc {at}",
                                        en: "too late: the campaign's time to send ended at {at}"),
        "skip.no_variant_for_tier": .init(vi: "Không có mẫu tin nào cho hạng {tier}", en: "no template variant for tier {tier}"),
        "skip.campaign_paused": .init(vi: "Chiến dịch đang tạm dừng", en: "the campaign is paused"),
        "skip.campaign_cancelled": .init(vi: "Chiến dịch đã bị hủy", en: "the campaign was cancelled"),
        "plan.expiry_overdue": .init(vi: "Đơn {order} vẫn chưa thanh toán khi hết thời gian giữ ({at}) và chưa hết hạn: hết hạn ở lần chạy đầu tiên",
                                     en: "order {order} was still unpaid after its hold ended ({at}) and not expired: it expires at the first step"),
        "tier.none": .init(vi: "không hạng", en: "none"),

        // An order's status inside a sentence.
        "order_status.pending": .init(vi: "chờ thanh toán", en: "pending"),
        "order_status.paid": .init(vi: "thanh toán", en: "paid"),
        "order_status.delivered": .init(vi: "giao", en: "delivered"),
        "order_status.cancelled": .init(vi: "hủy", en: "cancelled"),
        "order_status.returned": .init(vi: "trả lại", en: "returned"),
        "order_status.expired": .init(vi: "hết hạn", en: "expired"),

        // Why the outbox cancelled a message at the moment of sending.
        "cancel.sent_recently": .init(vi: "Khách đã nhận một tin của công việc này trong vòng {gap}", en: "the customer had a message of this job within {gap}"),
        "cancel.too_late": .init(vi: "Quá muộn: thời gian gửi đã hết lúc {at}", en: "too late: its time to send ended at {at}"),
        "cancel.customer_gone": .init(vi: "Khách hàng {customer} không còn trong dữ liệu", en: "customer {customer} no longer exists"),
        "cancel.opted_out_all": .init(vi: "Khách đã từ chối nhận mọi tin nhắn", en: "customer opted out of all messages"),
        "cancel.opted_out_marketing": .init(vi: "Khách đã từ chối nhận tin quảng cáo", en: "customer opted out of marketing"),
        "cancel.order_gone": .init(vi: "Đơn hàng không còn trong dữ liệu", en: "the order no longer exists"),
        "cancel.order_paid": .init(vi: "Đơn {order} đã thanh toán", en: "order {order} was paid"),
        "cancel.order_expired": .init(vi: "Đơn {order} đã hết hạn", en: "order {order} expired"),
        "cancel.order_delivered": .init(vi: "Đơn {order} đã giao", en: "order {order} was already delivered"),

        // What became of one attempt (a test send's result).
        "send.sent": .init(vi: "Đã gửi", en: "sent"),
        "send.sent_id": .init(vi: "Đã gửi (mã của nhà cung cấp: {id})", en: "sent (provider's id {id})"),
        "send.retry": .init(vi: "Chưa gửi được, sẽ thử lại: {why}", en: "not sent, will be tried again: {why}"),
        "send.retry_after": .init(vi: "Chưa gửi được, sẽ thử lại sau {seconds} giây theo yêu cầu của nhà cung cấp: {why}",
                                  en: "not sent, will be tried again in {seconds} s, as the provider asked: {why}"),
        "send.unknown": .init(vi: "Chưa rõ kết quả (nhà cung cấp có thể đã nhận; sẽ thử lại với cùng mã chống trùng): {why}",
                              en: "outcome unknown (the provider may have it; tried again with the same idempotency key): {why}"),
        "send.rejected": .init(vi: "Bị từ chối với người nhận này (thử kênh tiếp theo của công việc): {why}",
                               en: "refused for this recipient (the job's next channel is tried): {why}"),
        "send.misconfigured": .init(vi: "Lỗi cấu hình, cần sửa config.json: {why}", en: "configuration error, fix config.json: {why}"),
        "send.stop_sender": .init(vi: "Kênh gửi dừng lại cho tới khi cấu hình được sửa: {why}",
                                  en: "the sender stops until its configuration is fixed: {why}"),

        // A failed message, said as what it means and what to do. `permanent`: a retry cannot help.
        "failure.phone_invalid": .init(vi: "Số điện thoại không hợp lệ — sửa số của khách rồi gửi lại",
                                       en: "The phone number is not valid — correct the customer's number, then send again"),
        "failure.no_zalo": .init(vi: "Số này không dùng Zalo hoặc không nhận tin từ cửa hàng — dùng kênh khác (SMS, email)",
                                 en: "This number has no Zalo account or does not take the shop's messages — use another channel (SMS, email)"),
        "failure.email_refused": .init(vi: "Địa chỉ email bị từ chối — sửa email của khách rồi gửi lại",
                                       en: "The email address was refused — correct the customer's email, then send again"),
        "failure.recipient_refused": .init(vi: "Nhà cung cấp từ chối người nhận này — kiểm tra lại số điện thoại, email của khách",
                                           en: "The provider refused this recipient — check the customer's phone number and email"),
        "failure.template": .init(vi: "Mẫu tin Zalo chưa được duyệt hoặc sai — sửa mẫu trong công việc rồi gửi lại",
                                  en: "The Zalo template is not approved or wrong — fix the job's template, then send again"),
        "failure.configuration": .init(vi: "Lỗi cấu hình kênh gửi — báo cho bộ phận kỹ thuật sửa config.json, rồi gửi lại",
                                       en: "The sender's configuration is wrong — ask ops to fix config.json, then send again"),
        "failure.no_sender": .init(vi: "Không có kênh gửi nào cho {channel} — báo cho bộ phận kỹ thuật", en: "No sender for {channel} — tell ops"),
        "failure.sender_stopped": .init(vi: "Kênh gửi đang dừng (thường do mã truy cập hết hạn) — tin sẽ tự gửi lại khi kỹ thuật sửa xong",
                                        en: "The sender is stopped (usually an expired access token) — it goes out by itself once ops fix it"),
        "failure.temporary": .init(vi: "Nhà cung cấp tạm thời không nhận — carecron tự gửi lại, không cần làm gì",
                                   en: "The provider is not taking messages for now — carecron tries again by itself, nothing to do"),
        "failure.quota": .init(vi: "Đã hết hạn mức gửi trong ngày — carecron tự gửi lại khi có hạn mức mới",
                               en: "The day's sending quota is used up — carecron tries again when it renews"),
        "failure.unknown_outcome": .init(vi: "Chưa rõ nhà cung cấp đã nhận hay chưa — carecron gửi lại với cùng mã, khách không nhận hai lần",
                                         en: "Unknown whether the provider took it — carecron sends again with the same key, the customer does not get it twice"),
        "failure.gave_up": .init(vi: "Đã thử {attempts} lần mà nhà cung cấp vẫn không nhận — thử lại khi nhà cung cấp hoạt động bình thường",
                                 en: "Tried {attempts} times and the provider still did not take it — retry once the provider works again"),
        "failure.raw": .init(vi: "{text}", en: "{text}"),
        "failure.cancelled": .init(vi: "Đã hủy: {why}", en: "Cancelled: {why}"),
        "failure.other": .init(vi: "Gửi không được — xem câu trả lời của nhà cung cấp bên dưới", en: "Not sent — see the provider's answer below"),
        "failure.permanent": .init(vi: "Gửi lại không giúp được gì", en: "Sending it again will not help"),
        "failure.temporary_kind": .init(vi: "Lỗi tạm thời", en: "A temporary failure"),

        // Why a test send was refused.
        "test.not_allowed": .init(vi: "{recipient} không có trong danh sách người nhận thử (console.testRecipients)",
                                  en: "{recipient} is not in console.testRecipients"),
        "test.channel_cannot_carry": .init(vi: "Kênh {channel} không gửi tới {recipient} được", en: "{channel} cannot carry a message to {recipient}"),
        "test.job_lacks_channel": .init(vi: "Công việc {job} không gửi qua kênh {channel}", en: "{job} does not send on {channel}"),
        "test.no_variant": .init(vi: "Công việc {job} không có mẫu tin số {variant}", en: "{job} has no variant {variant}"),
        "test.no_customer": .init(vi: "Không tìm thấy khách hàng “{customer}”", en: "no customer {customer}"),
        "test.nothing_to_render": .init(vi: "Không có nội dung nào để gửi qua kênh {channel}", en: "nothing to render on {channel}"),
        "test.no_sender": .init(vi: "Kênh {channel} chưa có cấu hình gửi", en: "channel {channel} has no sender"),
        "test.sender_broken": .init(vi: "Không dựng được kênh gửi {sender}: {why}", en: "sender {sender} cannot be built: {why}"),
        "test.detail": .init(vi: "Mẫu {variant} cho {customer} qua {channel} tới {to}: {outcome}",
                             en: "variant {variant} for {customer} by {channel} to {to}: {outcome}"),

        // The audit log's actions and details.
        "audit.save": .init(vi: "lưu", en: "save"),
        "audit.restore": .init(vi: "khôi phục", en: "restore"),
        "audit.revert": .init(vi: "khôi phục bản cũ", en: "revert"),
        "audit.retry": .init(vi: "gửi lại", en: "retry"),
        "audit.retry_refused": .init(vi: "gửi lại bị từ chối", en: "retry refused"),
        "audit.drop": .init(vi: "bỏ tin", en: "drop"),
        "audit.drop_refused": .init(vi: "bỏ tin bị từ chối", en: "drop refused"),
        "audit.test_send": .init(vi: "gửi thử", en: "test send"),
        "audit.opt-out": .init(vi: "khách từ chối nhận tin", en: "opt-out"),
        "arm.notEnoughData": .init(vi: "chưa đủ dữ liệu (cần ít nhất {minimum} tin mỗi nhánh)", en: "not enough data yet (at least {minimum} sends per arm needed)"),
        "arm.leads": .init(vi: "đang dẫn (≥ 95% khả năng tốt hơn)", en: "leads (at least 95% likely to be better)"),
        "arm.trails": .init(vi: "đang kém (≤ 5% khả năng tốt hơn)", en: "trails (at most 5% likely to be better)"),
        "arm.noClearDifference": .init(vi: "chưa thấy khác biệt rõ", en: "no clear difference yet"),
        "arm.chosen": .init(vi: "đã chọn: thử nghiệm kết thúc", en: "chosen: the experiment has ended"),
        "arm.notChosen": .init(vi: "không được chọn: thử nghiệm kết thúc", en: "not chosen: the experiment has ended"),
        "survey.low_score": .init(vi: "{measure} {score}/{top}", en: "{measure} {score} of {top}"),
        "results.retention": .init(vi: "{returned} trong {buyers} khách mua trong những ngày này đã mua lại trong vòng {days} ngày ({rate})",
                                   en: "{returned} of the {buyers} customers who bought in these days bought again within {days} days ({rate})"),
        "results.lift": .init(vi: "chênh lệch {value} điểm (95%: {low} đến {high})", en: "lift {value} points (95%: {low} to {high})"),
        "reply.optout_badge_none": .init(vi: "Từ chối {what}", en: "opted out of {what}"),
        "reply.optout_badge": .init(vi: "Từ chối {what} · {cancelled} tin đang chờ đã hủy", en: "opted out of {what} · {cancelled} queued message(s) cancelled"),
        "optout.none": .init(vi: "không từ chối", en: "nothing"),
        "optout.marketing": .init(vi: "tin quảng cáo", en: "advertising"),
        "console.opt_out_saved": .init(vi: "Đã lưu. {cancelled} tin đang chờ gửi đã hủy theo lựa chọn này.", en: "Saved. {cancelled} queued message(s) cancelled by it."),
        "audit.opt_out_set": .init(vi: "Từ chối nhận tin: {from} → {to}; {cancelled} tin đang chờ đã hủy", en: "opt-out: {from} → {to}; {cancelled} queued message(s) cancelled"),
        "audit.opt-out_set": .init(vi: "đặt từ chối nhận tin", en: "set opt-out"),
        "optout.all": .init(vi: "mọi tin nhắn", en: "all messages"),
        "reply.opted_out_all": .init(vi: "Khách nhắn “{text}”: từ chối mọi tin nhắn; {cancelled} tin đang chờ đã hủy", en: "replied \"{text}\": opted out of all messages; {cancelled} queued message(s) cancelled"),
        "reply.opted_out_marketing": .init(vi: "Khách nhắn “{text}”: từ chối tin quảng cáo; {cancelled} tin đang chờ đã hủy", en: "replied \"{text}\": opted out of marketing; {cancelled} queued message(s) cancelled"),
        "audit.campaign_pause": .init(vi: "tạm dừng chiến dịch", en: "pause campaign"),
        "audit.campaign_resume": .init(vi: "tiếp tục chiến dịch", en: "resume campaign"),
        "audit.campaign_cancel": .init(vi: "hủy chiến dịch", en: "cancel campaign"),
        "audit.campaign_create": .init(vi: "tạo chiến dịch", en: "create campaign"),
        "audit.campaign_pause_refused": .init(vi: "tạm dừng chiến dịch bị từ chối", en: "pause campaign refused"),
        "audit.campaign_resume_refused": .init(vi: "tiếp tục chiến dịch bị từ chối", en: "resume campaign refused"),
        "audit.created_from": .init(vi: "tạo từ mẫu “{start}”", en: "created from \"{start}\""),
        "audit.lines_changed": .init(vi: "{n} dòng thay đổi", en: "{n} line(s) changed"),
        "audit.restored_from": .init(vi: "khôi phục bản lúc {at}", en: "restored the version of {at}"),
        "audit.occasion": .init(vi: "dịp {occasion}", en: "occasion {occasion}"),

        // A job file's problems (`validate`, the console's editor and form).
        "check.wrong_type": .init(vi: "phải là {expected}, đang là {found}", en: "must be {expected}, found {found}"),
        "check.empty": .init(vi: "không được để trống", en: "must not be empty"),
        "check.whole_number": .init(vi: "phải là số nguyên, đang là {found}", en: "must be a whole number, found {found}"),
        "check.range": .init(vi: "phải từ {low} đến {high}, đang là {found}", en: "must be between {low} and {high}, found {found}"),
        "check.time": .init(vi: "“{value}” không phải giờ trong ngày; viết giờ:phút theo 24 giờ, ví dụ “12:00”",
                            en: "\"{value}\" is not a time of day; write HH:MM on the 24-hour clock, e.g. \"12:00\""),
        "check.span": .init(vi: "“{value}” không phải khoảng thời gian; viết ví dụ “10m” (10 phút), “3h” (3 giờ), “1h30m”, “2d” (2 ngày)",
                            en: "\"{value}\" is not a duration; write e.g. \"10m\", \"3h\", \"1h30m\", \"2d\""),
        "check.one_of": .init(vi: "“{value}” không phải một trong: {names}", en: "\"{value}\" is not one of {names}"),
        "check.one_of_near": .init(vi: "“{value}” không phải một trong: {names} (có phải ý bạn là {near}?)",
                                   en: "\"{value}\" is not one of {names} (did you mean {near}?)"),
        "check.missing": .init(vi: "thiếu mục bắt buộc “{key}”", en: "missing required key \"{key}\""),
        "check.unknown_key": .init(vi: "không có mục nào tên “{key}”", en: "unknown key \"{key}\""),
        "check.unknown_key_near": .init(vi: "không có mục nào tên “{key}”; có phải ý bạn là {near}?", en: "unknown key \"{key}\"; did you mean {near}?"),
        "check.name_first": .init(vi: "tên khách phải nằm trong 7 ký tự đầu (sổ tay §1.8); với khách {name}: “{text}…”",
                                  en: "the customer's name must appear within the first 7 characters (handbook §1.8); rendered for {name}: \"{text}…\""),
        "check.forbidden_phrase": .init(vi: "dùng câu bị cấm “bản thân thích là được”", en: "uses the forbidden phrase \"bản thân thích là được\""),
        "check.than": .init(vi: "gọi khách là “Thân”, điều sổ tay cấm", en: "addresses the customer as \"Thân\", which the handbook forbids"),
        "check.ad_label": .init(vi: "SMS quảng cáo phải bắt đầu bằng [QC] (Nghị định 91/2020)", en: "an advertising SMS must start with [QC] (Decree 91/2020)"),
        "check.ad_opt_out": .init(vi: "SMS quảng cáo phải kết thúc bằng cách từ chối nhận tin, ví dụ {{optOut}} (Nghị định 91/2020)",
                                  en: "an advertising SMS must end with how to opt out, e.g. {{optOut}} (Decree 91/2020)"),
        "check.sms_long": .init(vi: "SMS dài {n} phần {encoding} với khách {name}: hãy rút ngắn", en: "SMS of {n} {encoding} segments for {name}: shorten it"),
        "check.time_quiet": .init(vi: "{time} nằm trong giờ yên lặng {quiet}", en: "{time} is inside quiet hours {quiet}"),
        "check.time_ad_hours": .init(vi: "{time}: tin quảng cáo chỉ được gửi trong {hours}", en: "{time}: advertising may go out only within {hours}"),
        "check.spread_midnight": .init(vi: "{time} + {spread} kéo qua nửa đêm; tin của một dịp chỉ gửi trong ngày của nó, nên các tin đến hạn sau đó sẽ không bao giờ được gửi: rút ngắn thời gian rải hoặc bắt đầu sớm hơn",
                                       en: "{time} + {spread} runs past midnight; an occasion's messages go out on its own day only, so those due after it would never be sent: shorten the spread or start earlier"),
        "check.spread_ad_hours": .init(vi: "{time} + {spread} kết thúc lúc {end}, quá giờ gửi quảng cáo {hours} (từ {from}): rút ngắn thời gian rải hoặc bắt đầu sớm hơn",
                                       en: "{time} + {spread} ends at {end}, past the advertising hours {hours} (from {from}): shorten the spread or start earlier"),
        "check.spread_quiet": .init(vi: "{time} + {spread} kết thúc lúc {end}, chạm giờ yên lặng {quiet} lúc {at}", en: "{time} + {spread} ends at {end}, reaching quiet hours {quiet} at {at}"),
        "check.campaign_purpose": .init(vi: "chiến dịch không nói về đơn hàng của khách: dùng “marketing” (quảng cáo) hoặc “care” (thông báo)",
                                        en: "a campaign is not about a customer's own order: use \"marketing\" (advertising) or \"care\" (a notice)"),
        "check.tiers_only": .init(vi: "mẫu tin nào cũng chỉ dành cho một số hạng: khách hạng khác không nhận được gì",
                                  en: "every variant is for some tiers only: customers of other tiers get nothing"),
        "check.gift_is_ad": .init(vi: "tin có quà, voucher hay giảm giá là tin quảng cáo: loại tin phải là marketing (DOMAIN.md §7)",
                                  en: "a message with a gift, voucher or discount is advertising: purpose must be marketing (DOMAIN.md §7)"),
        "check.own_order": .init(vi: "{type} nói về đơn hàng của khách: là tin giao dịch", en: "{type} concerns the customer's own order: it is transactional"),
        "check.tiers_campaign_only": .init(vi: "chỉ mẫu tin của chiến dịch mới chọn theo hạng (“tiers”, “minTier”); {type} dùng lần lượt các mẫu tin",
                                           en: "only a campaign's variants choose by tier (\"tiers\", \"minTier\"); {type} uses its variants in turn"),
        "check.zalo_form": .init(vi: "kênh zalo cần phần “zalo” (mã mẫu và tham số) ở mọi mẫu tin", en: "channel zalo needs a \"zalo\" form (templateId and params) in every variant"),
        "check.email_form": .init(vi: "kênh email cần phần “email” (tiêu đề và nội dung) ở mọi mẫu tin", en: "channel email needs an \"email\" form (subject and body) in every variant"),
        "check.variants_per_reminder": .init(vi: "{n} lần nhắc cần {n} mẫu tin, mỗi lần một mẫu (sổ tay §1.4); đang có {found}",
                                             en: "{n} reminders need {n} template variants, one for each (handbook §1.4); found {found}"),
        "check.positive": .init(vi: "phải lớn hơn 0", en: "must be longer than 0"),
        "check.no_channel": .init(vi: "cần ít nhất một kênh gửi", en: "list at least one channel"),
        "check.channel_no_sender": .init(vi: "kênh {channel} chưa có cấu hình gửi: thêm vào “channels” trong config.json", en: "channel {channel} has no sender: add it to \"channels\" in config.json"),
        "check.zalo_param_long": .init(vi: "“{value}” dài {length} ký tự; Zalo chỉ cho phép {max} ký tự cho {what}", en: "'{value}' is {length} characters; Zalo allows {max} for {what}"),
        "check.zalo_param_type": .init(vi: "“{value}” không phải loại tham số Zalo; các loại: {types}", en: "\"{value}\" is not a Zalo parameter type; types: {types}"),
        "check.zalo_param_unknown": .init(vi: "tham số {param} không có trong “params” của mẫu Zalo này", en: "parameter {param} is not among this Zalo template's \"params\""),
        "check.zalo_template_params": .init(vi: "tệp thông tin mẫu Zalo không có “listParams” (tên và maxLength của từng tham số)", en: "the Zalo template information file has no \"listParams\" (each parameter's name and maxLength)"),
        "failure.zalo_param_long": .init(vi: "Một tham số của mẫu Zalo dài hơn Zalo cho phép: sửa nội dung mẫu trong công việc", en: "a Zalo template parameter is longer than Zalo allows: shorten it in the job's template"),
        "zalo_type.name": .init(vi: "tên khách hàng", en: "a customer name"),
        "zalo_type.phone": .init(vi: "số điện thoại", en: "a phone number"),
        "zalo_type.address": .init(vi: "địa chỉ", en: "an address"),
        "zalo_type.code": .init(vi: "mã số", en: "a code"),
        "zalo_type.label": .init(vi: "nhãn tùy chỉnh", en: "a custom label"),
        "zalo_type.status": .init(vi: "trạng thái giao dịch", en: "a transaction status"),
        "zalo_type.contact": .init(vi: "thông tin liên hệ", en: "contact details"),
        "zalo_type.title": .init(vi: "danh xưng", en: "a title"),
        "zalo_type.product": .init(vi: "tên sản phẩm", en: "a product name"),
        "zalo_type.amount": .init(vi: "số lượng / số tiền", en: "an amount"),
        "zalo_type.time": .init(vi: "thời gian", en: "a time"),
        "zalo_type.otp": .init(vi: "mã OTP", en: "an OTP"),
        "zalo_type.url": .init(vi: "đường dẫn", en: "a URL"),
        "zalo_type.currency": .init(vi: "số tiền (VNĐ)", en: "a sum in VND"),
        "zalo_type.transferNote": .init(vi: "nội dung chuyển khoản", en: "a bank transfer note"),
        "check.fallback_wait": .init(vi: "thời gian chờ báo nhận {value} phải từ {min} đến {max}", en: "the wait for a delivery receipt, {value}, must be between {min} and {max}"),
        "check.fallback_channel": .init(vi: "“{channel}” không phải kênh của công việc này ({channels})", en: "\"{channel}\" is not one of this job's channels ({channels})"),
        "check.fallback_last": .init(vi: "{channel} là kênh cuối cùng: không còn kênh nào để gửi thay khi tin không đến", en: "{channel} is the last channel: there is no next one to send by when it is not delivered"),
        "check.fallback_no_receipts": .init(vi: "kênh {channel} gửi qua “{sender}”, loại không nhận báo nhận (hoặc chưa cấu hình): mọi tin sẽ được gửi lại qua {next} sau {wait}", en: "channel {channel} goes through \"{sender}\", which takes no delivery receipts (or has none set up): every message would also go by {next} after {wait}"),
        "check.channel_twice": .init(vi: "một kênh được liệt kê hai lần", en: "a channel is listed twice"),
        "check.window_gap": .init(vi: "các khung giờ để hở một khoảng trong ngày lúc {span}: đơn đặt lúc đó không được nhắc",
                                  en: "the windows leave a gap in the day at {span}: orders placed then get no reminder"),
        "check.window_overlap": .init(vi: "các khung {names} chồng lên nhau lúc {span}", en: "windows {names} overlap at {span}"),
        "check.window_quiet": .init(vi: "khung {name}: giờ nhắc {at} nằm trong giờ yên lặng {quiet}", en: "window {name}: remindAt {at} is inside quiet hours {quiet}"),
        "check.window_deadline": .init(vi: "khung {name}: hạn chót {deadline} đến trước giờ nhắc {at}", en: "window {name}: deadline {deadline} comes before remindAt {at}"),
        "check.given_twice": .init(vi: "“{key}” được ghi hai lần: ở ngoài và trong “rules”; giữ một", en: "\"{key}\" is given twice: at the top and in \"rules\"; keep one"),
        "check.missing_when": .init(vi: "thiếu mục bắt buộc “{key}”: khi nào chiến dịch gửi", en: "missing required key \"{key}\": when the campaign goes out"),
        "check.at_has_time": .init(vi: "“at” đã có giờ; bỏ “time” đi", en: "\"at\" already has its time; leave \"time\" out"),
        "check.not_instant": .init(vi: "“{value}” không phải một thời điểm; viết giờ của shop như “2026-12-12T09:00”", en: "\"{value}\" is not an instant; write shop time as \"2026-12-12T09:00\""),
        "check.no_date": .init(vi: "cần ít nhất một ngày", en: "list at least one date"),
        "check.not_date": .init(vi: "“{value}” không phải ngày; viết “2026-03-08” cho một ngày, “03-08” cho mỗi năm",
                                en: "\"{value}\" is not a date; write \"2026-03-08\" for one day or \"03-08\" for every year"),
        "check.missing_time": .init(vi: "thiếu mục bắt buộc “time” (ví dụ “09:00”)", en: "missing required key \"time\" (e.g. \"09:00\")"),
        "check.fires_quiet": .init(vi: "chạy lúc {time}, trong giờ yên lặng {quiet}", en: "fires at {time}, inside quiet hours {quiet}"),
        "check.fires_ad_hours": .init(vi: "chạy lúc {time}; tin quảng cáo chỉ được gửi trong {hours}", en: "fires at {time}; advertising may go out only within {hours}"),
        "check.call_without_channel": .init(vi: "“call” chỉ dùng khi “channels” có kênh call (gọi điện)", en: "\"call\" applies only to a job whose channels list call"),
        "call.result.reached": .init(vi: "Đã nói chuyện", en: "reached"),
        "call.result.no_answer": .init(vi: "Không nghe máy", en: "no answer"),
        "call.result.wrong_number": .init(vi: "Sai số", en: "wrong number"),
        "call.result.call_back": .init(vi: "Hẹn gọi lại", en: "call back"),
        "call.result.complaint": .init(vi: "Khiếu nại", en: "complaint"),
        "call.state.open": .init(vi: "Chưa xong", en: "open"),
        "call.state.done": .init(vi: "Đã xong", en: "done"),
        "call.rule.order": .init(vi: "nhân viên của đơn", en: "the order's agent"),
        "call.rule.customer": .init(vi: "nhân viên quen của khách", en: "the customer's own agent"),
        "call.rule.least_loaded": .init(vi: "người đang ít cuộc gọi nhất", en: "the least loaded on shift"),
        "calls.sheet_title": .init(vi: "Cuộc gọi của {agent} — {day} ({count} cuộc, còn {open} chưa xong)", en: "Calls of {agent} — {day} ({count} calls, {open} open)"),
        "calls.sheet_empty": .init(vi: "Không có cuộc gọi nào.", en: "No calls."),
        "calls.rated": .init(vi: "khách chấm {score}/5", en: "rated {score}/5"),
        "calls.script": .init(vi: "Kịch bản", en: "Script"),
        "calls.tries": .init(vi: "đã gọi {n} lần", en: "called {n} times"),
        "calls.no_agent": .init(vi: "Không có nhân viên nào tên “{agent}”: console.users trong config.json chưa có người dùng vai trò agent tên này", en: "no agent named \"{agent}\": config.json's console.users has no user with the role agent by that name"),
        "audit.call_note": .init(vi: "Ghi chú: {note}", en: "Note: {note}"),
        "audit.agent_away": .init(vi: "Ngày {day}: {moved} cuộc gọi chuyển cho người khác", en: "{day}: {moved} call(s) handed to others"),
        "check.follow_up_after": .init(vi: "“after” phải từ 0 phút đến 7 ngày", en: "\"after\" must be 0m to 7d"),
        "check.call_no_agent": .init(vi: "chưa có nhân viên nào (người dùng vai trò agent trong console.users): cuộc gọi sẽ được gửi bằng kênh tiếp theo", en: "no agent is configured (a console user with the role agent): its calls go on the next channel"),
        "check.agent_only": .init(vi: "“{key}” chỉ dành cho người dùng có vai trò agent (nhân viên chăm sóc)", en: "\"{key}\" applies only to users with the role agent"),
        "check.agent_day": .init(vi: "“{value}” không phải ngày trong tuần: dùng mon, tue, wed, thu, fri, sat, sun", en: "\"{value}\" is not a day of the week: use mon, tue, wed, thu, fri, sat, sun"),
        "check.agent_no_day": .init(vi: "cần ít nhất một ngày làm việc", en: "list at least one working day"),
        "check.no_tier": .init(vi: "cần ít nhất một hạng", en: "list at least one tier"),
        "check.min_over_max": .init(vi: "min không được lớn hơn max", en: "min must not be greater than max"),
        "check.tiers_needed": .init(vi: "tier-upgrade cần “tiers” trong config.json", en: "tier-upgrade needs \"tiers\" in config.json"),
        "kind.a string": .init(vi: "chữ", en: "a string"),
        "kind.a number": .init(vi: "một số", en: "a number"),
        "kind.a whole number": .init(vi: "số nguyên", en: "a whole number"),
        "kind.true or false": .init(vi: "true hoặc false", en: "true or false"),
        "kind.true/false": .init(vi: "true/false (đúng/sai)", en: "true/false"),
        "kind.a list": .init(vi: "một danh sách", en: "a list"),
        "kind.an object": .init(vi: "một nhóm mục { … }", en: "an object"),
        "kind.null": .init(vi: "trống (null)", en: "null"),

        // A job or config file that is not JSON (the reader's own reasons).
        "json.at": .init(vi: "JSON sai ở dòng {line}, cột {column}: {reason}", en: "invalid JSON at line {line}, column {column}: {reason}"),
        "json.end_of_file": .init(vi: "cuối tệp", en: "end of file"),
        "json.after_end": .init(vi: "thừa {found} sau khi tài liệu đã kết thúc", en: "unexpected {found} after the end of the document"),
        "json.too_deep": .init(vi: "lồng nhau quá sâu", en: "nested too deeply"),
        "json.eof_value": .init(vi: "tệp kết thúc đột ngột, ở chỗ cần một giá trị", en: "unexpected end of file, a value was expected"),
        "json.value_expected": .init(vi: "gặp {found} ở chỗ cần một giá trị", en: "unexpected {found}, a value was expected"),
        "json.value_expected_quotes": .init(vi: "gặp {found} ở chỗ cần một giá trị (chữ phải nằm trong dấu ngoặc kép \"…\")",
                                            en: "unexpected {found}, a value was expected (strings need double quotes)"),
        "json.key_expected": .init(vi: "cần tên mục trong dấu ngoặc kép, gặp {found}", en: "expected a key in double quotes, found {found}"),
        "json.key_after_comma": .init(vi: "cần tên mục trong dấu ngoặc kép sau dấu ',', gặp {found} (thừa dấu phẩy?)",
                                      en: "expected a key in double quotes after ',', found {found} (trailing comma?)"),
        "json.key_twice": .init(vi: "mục “{key}” xuất hiện hai lần trong cùng một nhóm", en: "key \"{key}\" appears twice in this object"),
        "json.colon": .init(vi: "cần dấu ':' sau mục “{key}”, gặp {found}", en: "expected ':' after key \"{key}\", found {found}"),
        "json.eof_object": .init(vi: "tệp kết thúc khi nhóm { … } chưa đóng (thiếu '}')", en: "unexpected end of file inside an object (missing '}')"),
        "json.comma_object": .init(vi: "cần dấu ',' hoặc '}' sau giá trị của “{key}”, gặp {found}", en: "expected ',' or '}' after the value of \"{key}\", found {found}"),
        "json.trailing_comma": .init(vi: "thừa dấu phẩy trước ']'", en: "trailing comma before ']'"),
        "json.eof_list": .init(vi: "tệp kết thúc khi danh sách [ … ] chưa đóng (thiếu ']')", en: "unexpected end of file inside a list (missing ']')"),
        "json.comma_list": .init(vi: "cần dấu ',' hoặc ']' trong danh sách, gặp {found}", en: "expected ',' or ']' in a list, found {found}"),
        "json.unterminated": .init(vi: "chuỗi chữ thiếu dấu ngoặc kép đóng", en: "unterminated string"),
        "json.control": .init(vi: "ký tự điều khiển trong chuỗi chữ (xuống dòng thì viết \\n)", en: "control character inside a string (write \\n for a new line)"),
        "json.bad_u": .init(vi: "mã \\u không hợp lệ", en: "invalid \\u escape"),
        "json.bad_escape": .init(vi: "ký tự thoát '{escape}' không hợp lệ", en: "invalid escape '{escape}'"),
        "json.not_utf8": .init(vi: "chuỗi chữ không phải UTF-8 hợp lệ", en: "string is not valid UTF-8"),
        "json.digits": .init(vi: "số cần có chữ số", en: "a number needs digits"),
        "json.leading_zero": .init(vi: "số không được bắt đầu bằng 0", en: "numbers may not start with 0"),
        "json.digits_dot": .init(vi: "cần chữ số sau dấu '.'", en: "digits expected after '.'"),
        "json.digits_exponent": .init(vi: "cần chữ số ở phần mũ", en: "digits expected in the exponent"),

        // A message template that cannot be read.
        "template.unfinished": .init(vi: "thẻ chưa xong ở dòng {line}, cột {column}: mỗi {{ cần có }} và một tên", en: "a tag is not finished at line {line}, column {column}: every {{ needs its }} and a name"),
        "template.not_closed": .init(vi: "một đoạn chưa được đóng đúng chỗ (dòng {line}, cột {column})", en: "a section is not closed where it should be (at line {line}, column {column})"),
        "template.delimiter": .init(vi: "thẻ đổi dấu {{=…=}} viết sai ở dòng {line}, cột {column}", en: "the delimiter tag {{=…=}} is malformed at line {line}, column {column}"),
        "template.config_tag": .init(vi: "thẻ {{% …}} ở dòng {line}, cột {column} không phải thẻ carecron biết", en: "a {{% …}} tag is not one carecron knows at line {line}, column {column}"),
        "template.inheritance": .init(vi: "tin nhắn không dùng được kế thừa mẫu ({{<…}}, {{$…}}) (dòng {line}, cột {column})",
                                      en: "template inheritance ({{<…}}, {{$…}}) is not supported in messages (at line {line}, column {column})"),
        "template.close_unopened": .init(vi: "{tag} ở dòng {line}, cột {column} đóng một đoạn chưa từng mở", en: "{tag} at line {line}, column {column} closes a section that was never opened"),
        "template.close_wrong": .init(vi: "{tag} ở dòng {line}, cột {column} đóng {opened} (mở ở dòng {openedLine}, cột {openedColumn}); hãy đóng đoạn đó trước bằng {close}",
                                      en: "{tag} at line {line}, column {column} closes {opened}, opened at line {openedLine}, column {openedColumn}; close that one first with {close}"),
        "template.never_closed": .init(vi: "đoạn {opened} mở ở dòng {line}, cột {column} chưa được đóng: thêm {close}",
                                       en: "the section {opened} opened at line {line}, column {column} is never closed: add {close}"),
        "template.unreadable": .init(vi: "không đọc được mẫu tin", en: "the template cannot be read"),
        "template.unknown": .init(vi: "không có biến {names}", en: "unknown variable {names}"),
        "template.unknown_many": .init(vi: "không có các biến {names}", en: "unknown variables {names}"),
        "template.unknown_near": .init(vi: "không có biến {names} (có phải ý bạn là {near}?)", en: "unknown variable {names} (did you mean {near}?)"),
        "template.unknown_many_near": .init(vi: "không có các biến {names} (có phải ý bạn là {near}?)", en: "unknown variables {names} (did you mean {near}?)"),

        "check.campaign_schedule": .init(vi: "chiến dịch gửi vào dịp của nó (“when”), không theo lịch chạy: bỏ “schedule”",
                                         en: "a campaign goes out at its \"when\", not on a schedule: remove \"schedule\""),
        "check.no_variant": .init(vi: "cần ít nhất một mẫu tin", en: "list at least one template variant"),
        "check.no_window": .init(vi: "cần ít nhất một khung giờ", en: "list at least one window"),
        "check.within_alone": .init(vi: "khoảng tính “within” chỉ dùng cho mức chi tiêu hay số đơn (spentAtLeast, spentBelow, ordersAtLeast): hãy điền một trong số đó",
                                    en: "\"within\" is the period of spentAtLeast, spentBelow or ordersAtLeast; give one of them"),
        "check.spent_below_low": .init(vi: "phải lớn hơn mức đã chi ít nhất ({low}): không khách nào khớp được", en: "must be more than spentAtLeast ({low}): no customer could match"),
        "check.ids_unreadable_here": .init(vi: "ở đây không đọc được tệp danh sách mã khách", en: "a file of customer ids cannot be read here"),
        "check.ids_empty": .init(vi: "tệp {path} không có mã khách nào", en: "{path} lists no customer id"),
        "check.ids_unreadable": .init(vi: "không đọc được {path}: {error}", en: "cannot read {path}: {error}"),
        "check.not_a_tier": .init(vi: "“{value}” không phải hạng khách trong config.json: {names}", en: "\"{value}\" is not a tier of config.json: {names}"),
        "check.not_a_tier_near": .init(vi: "“{value}” không phải hạng khách trong config.json: {names} (có phải ý bạn là {near}?)",
                                       en: "\"{value}\" is not a tier of config.json: {names} (did you mean {near}?)"),
        "check.no_tiers_configured": .init(vi: "“{value}” không phải hạng khách: config.json chưa khai báo hạng nào (“tiers”)", en: "\"{value}\" is not a tier of config.json"),
        "config.unreadable_file": .init(vi: "không đọc được tệp (tệp có tồn tại không?)", en: "cannot read the file (does it exist?)"),
        "config.jobs_folder": .init(vi: "không đọc được thư mục công việc {path}", en: "cannot read the jobs folder {path}"),

        // What a provider later said of a message (a delivery receipt).
        "delivery.delivered": .init(vi: "Đã đến khách lúc {at}", en: "delivered at {at}"),
        "delivery.undelivered": .init(vi: "Không đến được khách ({at})", en: "not delivered ({at})"),
        "plan.fallback_after": .init(vi: "Nếu sau {wait} {channel} chưa báo đã đến khách, gửi lại bằng {next}", en: "if {channel} does not report it delivered within {wait}, {next} sends it instead"),
        "fallback.undelivered": .init(vi: "{channel} không đến được khách ({reason}): gửi lại bằng {next}", en: "{channel} not delivered ({reason}): falling back to {next}"),
        "fallback.failed": .init(vi: "{channel} không gửi được ({error}): gửi lại bằng {next}", en: "{channel} failed: {error}; falling back to {next}"),
        "fallback.no_receipt": .init(vi: "{channel} không báo đã đến khách sau {wait}: gửi lại bằng {next}", en: "no delivery receipt from {channel} within {wait}: falling back to {next}"),

        // A campaign's state.
        "campaign_state.scheduled": .init(vi: "đã lên lịch", en: "scheduled"),
        "campaign_state.sending": .init(vi: "đang gửi", en: "sending"),
        "campaign_state.paused": .init(vi: "tạm dừng", en: "paused"),
        "campaign_state.done": .init(vi: "đã xong", en: "done"),
        "campaign_state.cancelled": .init(vi: "đã hủy", en: "cancelled"),
        "campaign_state.disabled": .init(vi: "đang tắt", en: "disabled"),
    ]
}

extension Catalogue {
    /// A sentence stored in English (the outbox's errors and cancel reasons) read back into its
    /// code and values, so that it can be said in another language: the first entry whose code
    /// starts with one of `families` and whose English form matches the whole text.
    public static func recognise(_ english: String, families: [String]) -> Sentence? {
        // In a fixed order, each family's codes in turn: the same text is always read back as the
        // same sentence ("order X was already delivered" is a cancel reason, not a withdrawal).
        for family in families {
            for (code, entry) in all where code.hasPrefix(family) {
                if let values = match(english, template: entry.en) { return Sentence(code, values) }
            }
        }
        return nil
    }

    /// The values of `template` ("order {order} was paid") in `text`, or nil if it does not fit.
    static func match(_ text: String, template: String) -> [String: Sentence.Value]? {
        var names: [String] = []
        var pattern = "^"
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            pattern += NSRegularExpression.escapedPattern(for: String(rest[..<open])) + "(.+?)"
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        pattern += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]),
              let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        var values: [String: Sentence.Value] = [:]
        for (i, name) in names.enumerated() {
            guard let r = Range(m.range(at: i + 1), in: text) else { return nil }
            let found = String(text[r])
            // An order's status is a word of the catalogue: said in the sentence's language.
            values[name] = name == "status" && has("order_status.\(found)") ? .word("order_status.\(found)") : .text(found)
        }
        return values
    }
}
