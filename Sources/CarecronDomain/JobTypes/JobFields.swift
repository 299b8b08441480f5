/// A field of a job file as the console's form shows it, declared by the job's type (its
/// `fields`) or by every job (`JobFields.common`): where it is in the file, what it holds, and
/// what a person reads about it in Vietnamese and English. A new job type gets its form from
/// these declarations, without console code; what a type does not declare stays in the JSON.
public struct JobField: Sendable {
    public enum Kind: Sendable, Equatable {
        /// One line of text; a paragraph (several lines).
        case text, paragraph
        case number(ClosedRange<Int>)
        /// An amount in đồng.
        case money
        /// A length of time as files write it ("10m", "3h", "7d").
        case span
        /// A time of day ("09:00").
        case time
        /// A cron expression (its next runs are said in words beside it).
        case cron
        case toggle
        /// One of these values.
        case choice([String])
        /// Some of these values, in the order given (a job's channels: the first is tried first).
        case ordered([String])
        /// Any values, comma-separated (tier names, dates).
        case list
        /// Whole numbers, comma-separated (an experiment's split).
        case numbers
        /// A share written as a percentage within the range (the file holds the fraction: 5 → 0.05).
        case percent(ClosedRange<Int>)
        /// Lines `name = value` (a Zalo template's parameters).
        case pairs
        /// A list of objects as a table, one row each, with these columns (a payment reminder's
        /// windows); a row left empty is removed, an empty row at the end adds one.
        case rows([Column])
    }

    /// A column of a `rows` field: the key in each row's object and how its cells read.
    public struct Column: Sendable, Equatable {
        public let key: String
        public let label: Said
        public let time: Bool
        public let optional: Bool

        public init(_ key: String, _ label: Said, time: Bool = false, optional: Bool = false) {
            self.key = key
            self.label = label
            self.time = time
            self.optional = optional
        }
    }

    public let path: [String]
    public let kind: Kind
    public let label: Said
    public let help: Said?
    public let unit: Said?
    /// What applies when the file leaves it out.
    public let fallback: String?
    /// The file may write the parent as this value alone (`"holdout": 0.05` for `holdout.share`).
    public let shortForm: Bool

    public init(_ path: String, _ kind: Kind, _ label: Said, help: Said? = nil, unit: Said? = nil, fallback: String? = nil, shortForm: Bool = false) {
        self.path = path.split(separator: ".").map(String.init)
        self.kind = kind
        self.label = label
        self.help = help
        self.unit = unit
        self.fallback = fallback
        self.shortForm = shortForm
    }

    /// The name of its form input ("rules.maxReminders").
    public var name: String { path.joined(separator: ".") }
}

/// Words in both of carecron's languages.
public struct Said: Sendable, Equatable {
    public let vi: String
    public let en: String

    public init(_ vi: String, _ en: String) {
        self.vi = vi
        self.en = en
    }

    public func text(_ language: Language) -> String { language == .vi ? vi : en }
}

public enum JobFields {
    static let minutes = Said("ví dụ 10m, 3h, 7d", "e.g. 10m, 3h, 7d")

    /// What every job file has, before its type's own fields.
    public static func common(takesSchedule: Bool) -> [JobField] {
        var fields = [
            JobField("description", .text, Said("Mô tả", "Description"), help: Said("Một dòng nói công việc này làm gì.", "One line on what the job does.")),
            JobField("enabled", .toggle, Said("Đang chạy", "Enabled"), help: Said("Tắt: không gửi gì, vẫn xem được kế hoạch.", "Off: nothing is sent; the plan still shows it.")),
        ]
        if takesSchedule {
            fields.append(JobField("schedule", .cron, Said("Lịch chạy", "Schedule"),
                                   help: Said("Biểu thức cron theo giờ của shop; “* * * * *” là xét từng đơn đúng lúc đến hạn.",
                                              "A cron expression in shop time; \"* * * * *\" acts on each order when it falls due.")))
        }
        fields += [
            JobField("purpose", .choice(["transactional", "marketing"]), Said("Loại tin", "Purpose"),
                     help: Said("Quảng cáo: có giờ gửi riêng, giới hạn mỗi ngày, khách có thể từ chối nhận.",
                                "marketing: advertising (its own hours, a daily cap, customers may opt out).")),
            JobField("channels", .ordered(ChannelKind.allCases.map(\.rawValue)), Said("Kênh gửi, theo thứ tự", "Channels, in order"),
                     help: Said("Kênh đầu tiên khách có địa chỉ được dùng; nếu bị từ chối, thử kênh tiếp theo.",
                                "The first channel the customer has an address for is used; refused, the next is tried.")),
            JobField("duringQuietHours", .choice(["wait", "drop"]), Said("Trong giờ yên lặng", "During quiet hours"),
                     help: Said("Bỏ: tin đến hạn trong giờ yên lặng không được gửi nữa.",
                                "wait: sent when quiet hours end; drop: what falls due then is dropped."), fallback: "wait"),
            JobField("fallbackAfter", .pairs, Said("Chờ báo đã đến khách", "Wait for a delivery receipt"),
                     help: Said("Mỗi dòng một kênh: zalo = 10m. Nếu sau thời gian này nhà cung cấp chưa báo tin đã đến khách (hoặc báo không đến), kênh tiếp theo gửi thay. Để trống: không chờ.",
                                "One channel a line: zalo = 10m. If the provider has not reported the message delivered by then (or reports it undelivered), the next channel sends it. Empty: no wait.")),
        ]
        return fields + calls + measurement
    }

    /// Which of the job's occurrences the care team calls about (issue 29), when `call` is among its channels.
    static let calls = [
        JobField("call.minAmount", .money, Said("Gọi điện cho đơn từ", "Call about orders from"),
                 help: Said("Chỉ khi kênh gửi có “call”: đơn nhỏ hơn được nhắn tin thay. Để trống: gọi mọi đơn.",
                            "Only with \"call\" among the channels: smaller orders get the message instead. Empty: every order."),
                 unit: Said("₫", "₫")),
        JobField("call.tiers", .list, Said("Gọi điện cho khách hạng", "Call customers of tiers"),
                 help: Said("Tên hạng, cách nhau bằng dấu phẩy; để trống: mọi hạng.", "Tier names, comma-separated; empty: every tier.")),
        JobField("call.priority", .number(1...9), Said("Thứ tự trong danh sách gọi", "Place on the call lists"),
                 help: Said("1 gọi trước, 9 gọi sau, trong cùng loại tin (tin giao dịch luôn trước).",
                            "1 first, 9 last, within a purpose (transactional always first)."), fallback: "5"),
        JobField("call.askRating", .toggle, Said("Hỏi khách chấm điểm khi gọi", "Ask for a rating on the call"), fallback: "false"),
    ]

    /// How the job's effect is measured (issue 28): its goal's window, its control group, its A/B experiment.
    static let measurement = [
        JobField("goal.within", .span, Said("Tính là đạt nếu khách đặt đơn mới trong vòng", "Counts as converted if the customer orders within"),
                 help: Said("Cho lời chúc, hỏi thăm, chiến dịch, chúc mừng lên hạng; để trống: mặc định của loại công việc (ví dụ 14d cho sinh nhật).",
                            "For greetings, check-ins, campaigns and tier congratulations; empty: the type's default (e.g. 14d for a birthday).")),
        JobField("holdout.share", .percent(0...50), Said("Nhóm đối chứng", "Control group"),
                 help: Said("Phần khách đủ điều kiện không nhận tin, để đo tin có tác dụng không. Cùng một khách luôn ở cùng nhóm. Để trống: không có.",
                            "The share of eligible customers not messaged, to measure whether the messages work. A customer stays in or out. Empty: none."),
                 unit: Said("%", "%"), shortForm: true),
        JobField("holdout.fromReminder", .number(1...5), Said("Nhóm đối chứng bỏ từ lần nhắc", "The group misses reminders from"),
                 help: Said("Chỉ cho nhắc thanh toán: 2 là vẫn gửi lần nhắc đầu theo quy định, chỉ bỏ các lần sau.",
                            "Payment reminders only: 2 still sends the first reminder the handbook requires, and holds back the rest."), fallback: "1"),
        JobField("holdout.includesRequired", .toggle, Said("Cho phép bỏ cả tin bắt buộc", "May hold back a required message"),
                 help: Said("Lần nhắc thanh toán đầu tiên là việc cửa hàng phải làm; chỉ bật nếu chủ shop đồng ý.",
                            "The first payment reminder is a duty of the handbook; only on with the shop owner's consent."), fallback: "false"),
        JobField("experiment.split", .numbers, Said("Thử nghiệm A/B: tỉ lệ chia cho từng nội dung", "A/B experiment: each variant's share"),
                 help: Said("Phần trăm cho nội dung 1, 2…, cộng lại bằng 100, ví dụ 50, 50. Mỗi khách luôn nhận cùng một nội dung. Để trống: không thử nghiệm.",
                            "Percent for variant 1, 2…, adding up to 100, e.g. 50, 50. A customer always gets the same one. Empty: no experiment.")),
        JobField("experiment.minimumPerArm", .number(10...1_000_000), Said("Chưa kết luận khi mỗi nhánh dưới", "No verdict while an arm has fewer than"),
                 unit: Said("tin", "messages"), fallback: "500"),
        JobField("experiment.winner", .number(1...20), Said("Kết thúc: chọn nội dung số", "End it: choose variant"),
                 help: Said("Điền khi đã có kết quả: từ lần lập lịch sau mọi khách nhận nội dung này; số liệu thử nghiệm vẫn được giữ.",
                            "Once the results are in: from the next plan every customer gets this one; the experiment's figures stay.")),
    ]

    /// A template variant's fields, by the channel whose tab shows them ("" for the shared text
    /// and the variant's conditions), under `templates.N.`.
    public static func variant(_ n: Int) -> [(tab: String, field: JobField)] {
        let p = "templates.\(n)."
        return [
            ("", JobField(p + "text", .paragraph, Said("Nội dung chung", "Shared text"),
                          help: Said("Dùng cho mọi kênh không có nội dung riêng.", "Used on every channel without its own text."))),
            ("zalo", JobField(p + "zalo.templateId", .text, Said("Mã mẫu ZNS", "ZNS template id"),
                              help: Said("Mẫu đã được Zalo duyệt.", "A template Zalo approved."))),
            ("zalo", JobField(p + "zalo.params", .pairs, Said("Tham số của mẫu", "Template parameters"),
                              help: Said("Mỗi dòng một tham số: ten = {{customer.salutation}}", "One per line: name = {{customer.salutation}}"))),
            ("zalo", JobField(p + "zalo.paramTypes", .pairs, Said("Loại tham số theo Zalo", "Zalo parameter types"),
                              help: Said("Mỗi dòng: tham số = loại, để kiểm tra độ dài Zalo cho phép. Loại: name (tên khách, 30 ký tự), code (mã số, 30), address (địa chỉ, 200), amount (số tiền, 20), time (thời gian, 20), url (200), transferNote (nội dung chuyển khoản, 90), phone (15), product (200), label (30), status (30), contact (50), title (5), otp (10), currency (12).",
                                         "One a line: parameter = type, to check the length Zalo allows. Types: name (30 characters), code (30), address (200), amount (20), time (20), url (200), transferNote (90), phone (15), product (200), label (30), status (30), contact (50), title (5), otp (10), currency (12)."))),
            ("zalo", JobField(p + "zalo.templateParams", .text, Said("Tệp thông tin mẫu từ Zalo", "Zalo's template information file"),
                              help: Said("Không bắt buộc: tệp JSON Zalo trả về cho mẫu (có listParams), đặt cạnh config.json, ví dụ zalo/231456.json.",
                                         "Optional: the JSON Zalo answers for the template (with listParams), beside config.json, e.g. zalo/231456.json."))),
            ("sms", JobField(p + "sms.text", .paragraph, Said("Nội dung SMS", "SMS text"))),
            ("sms", JobField(p + "sms.unaccented", .toggle, Said("Gửi không dấu", "Send without accents"),
                             help: Said("Không dấu: 160 ký tự một phần tin thay vì 70.", "Without accents: 160 characters a part instead of 70."),
                             fallback: "false")),
            ("email", JobField(p + "email.subject", .text, Said("Tiêu đề email", "Email subject"))),
            ("email", JobField(p + "email.body", .paragraph, Said("Nội dung email (chữ thường)", "Email body (plain text)"))),
            ("email", JobField(p + "email.html", .paragraph, Said("Nội dung email (HTML)", "Email body (HTML)"),
                               help: Said("Không bắt buộc; để trống thì chỉ gửi chữ thường.", "Optional; empty sends plain text only."))),
            ("call", JobField(p + "call", .paragraph, Said("Kịch bản gọi điện", "Call script"),
                              help: Said("Nhân viên đọc khi gọi; để trống: dùng nội dung chung.", "What the agent says on the phone; empty: the shared text."))),
            ("", JobField(p + "minAmount", .money, Said("Chỉ dùng cho đơn từ", "Only for orders from"), unit: Said("₫", "₫"))),
            ("", JobField(p + "tiers", .list, Said("Chỉ cho khách hạng", "Only for tiers"),
                          help: Said("Tên hạng, cách nhau bằng dấu phẩy; để trống: mọi hạng.", "Tier names, comma-separated; empty: every tier."))),
        ]
    }
}

extension PaymentReminderRules {
    public static var fields: [JobField] {
        [
            JobField("rules.minAge", .span, Said("Chờ sau khi đặt đơn ít nhất", "Wait after the order at least"), help: JobFields.minutes, fallback: "10m"),
            JobField("rules.maxReminders", .number(1...5), Said("Số lần nhắc tối đa", "Reminders at most"), unit: Said("lần", "times"), fallback: "2"),
            JobField("rules.minGap", .span, Said("Cách nhau ít nhất", "At least apart"), help: JobFields.minutes, fallback: "3h"),
            JobField("rules.lateness", .span, Said("Được gửi muộn tối đa", "May be late by at most"),
                     help: Said("Quá mức này (ví dụ sau khi máy chủ ngừng chạy) thì bỏ lần nhắc.", "Later than this (after an outage), the reminder is dropped."),
                     fallback: "60m"),
            JobField("rules.combineOrders", .toggle, Said("Gộp các đơn của cùng khách vào một tin", "One message for a customer's orders"), fallback: "true"),
            JobField("rules.windows", .rows([
                JobField.Column("name", Said("Tên khung", "Window")),
                JobField.Column("from", Said("Đặt từ", "Ordered from"), time: true),
                JobField.Column("to", Said("đến trước", "until"), time: true),
                JobField.Column("remindAt", Said("Nhắc lúc", "Remind at"), time: true),
                JobField.Column("deadline", Said("Hạn thanh toán", "Pay by"), time: true, optional: true),
            ]), Said("Khung giờ nhắc", "Reminder windows"),
                     help: Said("Đơn đặt trong khung nào thì được nhắc lúc đó (giờ của shop). Hạn thanh toán không bắt buộc. Xoá hết ô của một dòng để bỏ khung đó; điền dòng trống cuối để thêm.",
                                "An order placed in a window is reminded at its time (shop time). The deadline is optional. Empty a row to remove that window; fill the last, empty row to add one."),
                     ),
        ]
    }
}

extension OrderExpiryRules {
    public static var fields: [JobField] {
        [
            JobField("rules.notify", .toggle, Said("Báo cho khách khi đơn hết hạn", "Tell the customer when the order expires"), fallback: "true"),
            JobField("rules.lateness", .span, Said("Báo muộn tối đa", "Tell at most this late"), help: JobFields.minutes, fallback: "60m"),
        ]
    }
}

extension CodConfirmationRules {
    public static var fields: [JobField] {
        [
            JobField("rules.sendAfter", .span, Said("Gửi sau khi đặt đơn", "Send after the order"), help: JobFields.minutes),
            JobField("rules.deliveryDays.min", .number(0...60), Said("Giao sớm nhất sau", "Delivered at the earliest after"),
                     help: Said("Ngày giao dự kiến nói trong tin: từ ngày này…", "The expected delivery the message states: from this day…"),
                     unit: Said("ngày", "days"), fallback: "1"),
            JobField("rules.deliveryDays.max", .number(0...60), Said("Giao muộn nhất sau", "Delivered at the latest after"),
                     help: Said("…đến ngày này, tính từ ngày gửi tin xác nhận.", "…to this day, counted from the day the confirmation is sent."),
                     unit: Said("ngày", "days"), fallback: "3"),
        ]
    }
}

extension PostSaleCheckinRules {
    public static var fields: [JobField] {
        [JobField("rules.afterDays", .number(1...365), Said("Hỏi thăm sau khi giao", "Check in after delivery"), unit: Said("ngày", "days"), fallback: "3")]
    }
}

extension CampaignRules {
    public static var fields: [JobField] {
        let months = (1...12).map(String.init)
        return [
            JobField("audience.tiers", .list, Said("Khách hạng", "Tiers"), help: Said("Để trống: mọi hạng.", "Empty: every tier.")),
            JobField("audience.spentAtLeast", .money, Said("Đã chi ít nhất", "Spent at least"), unit: Said("₫", "₫")),
            JobField("audience.spentBelow", .money, Said("Đã chi dưới", "Spent below"), unit: Said("₫", "₫")),
            JobField("audience.ordersAtLeast", .number(0...1_000_000), Said("Số đơn ít nhất", "Orders at least")),
            JobField("audience.within", .span, Said("Tính chi tiêu và số đơn trong", "Count spend and orders over"), help: Said("Ví dụ 365d; trống: từ trước tới nay.", "e.g. 365d; empty: ever.")),
            JobField("audience.lastOrderWithin", .span, Said("Mua lần cuối trong vòng", "Last order within"), help: JobFields.minutes),
            JobField("audience.lastOrderBefore", .span, Said("Lần mua cuối đã cách đây hơn", "Last order more than this ago"), help: JobFields.minutes),
            JobField("audience.birthdayMonth", .ordered(months), Said("Sinh vào tháng", "Born in month")),
            JobField("audience.gender", .ordered(Gender.allCases.map(\.rawValue)), Said("Giới tính", "Gender")),
            JobField("audience.hasChannel", .ordered(ChannelKind.allCases.map(\.rawValue)), Said("Có địa chỉ cho kênh", "Has an address for")),
            JobField("when.lunar.month", .number(1...12), Said("Tháng âm lịch", "Lunar month"), help: Said("Dịp theo âm lịch (Tết: tháng 1, ngày 1).", "An occasion on the lunar calendar (Tết: month 1, day 1).")),
            JobField("when.lunar.day", .number(1...30), Said("Ngày âm lịch", "Lunar day")),
            JobField("when.dates", .list, Said("Hoặc ngày dương lịch", "Or calendar dates"),
                     help: Said("“03-08” là mỗi năm, “2026-12-12” là một lần; cách nhau bằng dấu phẩy.", "\"03-08\" every year, \"2026-12-12\" once; comma-separated.")),
            JobField("when.offsetDays", .number(-60...60), Said("Gửi trước (−) hay sau (+) dịp", "Days before (−) or after (+)"), unit: Said("ngày", "days"), fallback: "0"),
            JobField("when.time", .time, Said("Giờ gửi", "At"), help: Said("Ví dụ 09:00", "e.g. 09:00")),
            JobField("spread", .span, Said("Rải đều trong", "Spread over"), help: Said("Không gửi dồn một lúc: ví dụ 2h.", "Not all at once: e.g. 2h."), fallback: "0m"),
            JobField("lateness", .span, Said("Được gửi muộn tối đa", "May be late by at most"), help: Said("Trống: tới hết ngày.", "Empty: until the day ends.")),
        ]
    }
}
