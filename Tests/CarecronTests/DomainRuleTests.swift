import CarecronDomain
import Foundation
import Testing

@Suite("Phones (DOMAIN.md §6)")
struct PhoneTests {
    @Test(arguments: [
        ("0912 345 678", "+84912345678"), ("+84 903 111 222", "+84903111222"), ("84903111222", "+84903111222"),
        ("0912.345.678", "+84912345678"), ("(091) 234-5678", "+84912345678"), ("912345678", "+84912345678"),
        ("024 3826 1234", "+842438261234"),
    ])
    func normalises(raw: String, e164: String) throws {
        #expect(try PhoneNumber(parsing: raw).e164 == e164)
    }

    /// The whole 2018 table: old 11-digit prefix → new 10-digit one, last 7 digits kept.
    @Test func renumbering2018() throws {
        let table = [
            "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
            "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
            "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037", "0168": "038", "0169": "039",
            "0186": "056", "0188": "058", "0199": "059",
        ]
        for (old, new) in table {
            #expect(try PhoneNumber(parsing: old + "5551234").e164 == "+84" + new.dropFirst() + "5551234", "\(old)")
            #expect(try PhoneNumber(parsing: "+84" + old.dropFirst() + "5551234").e164 == "+84" + new.dropFirst() + "5551234")
        }
        #expect(try PhoneNumber(parsing: "0168 555 1234").e164 == "+84385551234")
    }

    @Test(arguments: ["", "abc", "0912 345", "01305551234", "+1 415 555 1234", "0412345678", "091234567890"])
    func refusesWhatIsNotAVietnamesePhone(raw: String) {
        #expect(throws: PhoneNumber.Problem.self) { try PhoneNumber(parsing: raw) }
    }

    @Test func zaloFormAndMasking() throws {
        let p = try PhoneNumber(parsing: "0912345678")
        #expect(p.zaloForm == "84912345678")
        #expect(p.masked == "+8491****678")
        #expect(Masking.email("lan@example.vn") == "l***@example.vn")
    }
}

@Suite("Names and wording (DOMAIN.md §6)")
struct NameTests {
    @Test func honorificAndGivenName() {
        #expect(CustomerName("Trần Thị Lan").salutation(gender: .female) == "Chị Lan")
        #expect(CustomerName("Nguyễn Văn Hùng").salutation(gender: .male) == "Anh Hùng")
        #expect(CustomerName("Lê Minh Anh").salutation(gender: .unknown) == "Bạn Anh")
        #expect(CustomerName("Lê Minh Anh").salutation(gender: .unknown, unknownHonorific: "Quý khách") == "Quý khách Anh")
    }

    /// The given name cut at the last space byte, and the honorific taken as chosen, say what
    /// splitting by characters and cutting the salutation said, for every shape of name.
    @Test(arguments: ["Trần Thị Lan", "Hà", "Công Tôn Nữ Thị Thanh Hương Giang", "Nguyễn  Văn", "Lê\u{0301} Anh", "Ông Đức Ðạt", "Ʃ ǅ",
                      "Nguyễn Văn Tí \u{0300}", "ﬁ Lan", "Trần-Lê Ý", "A  "])
    func givenNameAndHonorificByBytesAsByCharacters(_ raw: String) {
        let name = CustomerName(raw)
        #expect(name.given == (name.full.split(separator: " ").last.map(String.init) ?? name.full))
        for (gender, unknown) in [(Gender.female, "Bạn"), (.male, "Bạn"), (.unknown, "Quý khách"), (.unknown, ""), (.unknown, " Bạn ")] {
            let parts = name.salutationParts(gender: gender, unknownHonorific: unknown)
            #expect(parts.honorific == parts.salutation.dropLast(name.given.count).trimmedSpaces, "\(raw) \(gender) \(unknown)")
        }
    }

    @Test func namesAreTrimmedAndComposed() {
        let decomposed = "Tra\u{0302}\u{0300}n  Thi\u{0323}  Lan "
        let name = CustomerName("  " + decomposed)
        #expect(name.full == "Trần Thị Lan")
        #expect(name.full.unicodeScalars.count == "Trần Thị Lan".precomposedStringWithCanonicalMapping.unicodeScalars.count)
    }

    @Test func forbiddenWording() {
        #expect(!MessageRules.wordingProblems("Sản phẩm này bản thân thích là được ạ").isEmpty)
        #expect(!MessageRules.wordingProblems("Thân gửi Lan, shop có quà").isEmpty)
        #expect(!MessageRules.wordingProblems("Chị Lan thân mến, shop có quà").isEmpty)
        #expect(MessageRules.wordingProblems("Chị Lan ơi, shop luôn thân thiện với khách hàng thân thiết").isEmpty)
    }

    @Test func nameWithinSevenCharacters() {
        #expect(MessageRules.showsNameEarly("Chị Lan ơi, đơn hàng…", givenName: "Lan"))
        #expect(MessageRules.showsNameEarly("Bạn Anh ơi", givenName: "Anh"))
        #expect(!MessageRules.showsNameEarly("Hoa Sen xin chào Chị Lan", givenName: "Lan"))
    }

    @Test func unaccentedIncludingD() {
        #expect(MessageRules.unaccented("Đặng Quốc Bảo đã đặt đơn") == "Dang Quoc Bao da dat don")
    }

    @Test func smsSegments() {
        #expect(MessageRules.smsSegments(String(repeating: "a", count: 160)) == (.gsm7, 1))
        #expect(MessageRules.smsSegments(String(repeating: "a", count: 161)) == (.gsm7, 2))
        #expect(MessageRules.smsSegments(String(repeating: "ă", count: 70)) == (.ucs2, 1))
        #expect(MessageRules.smsSegments(String(repeating: "ă", count: 71)) == (.ucs2, 2))
    }

    @Test func moneyAndDates() {
        #expect(VietnameseFormat.money(1_250_000) == "1.250.000₫")
        #expect(VietnameseFormat.money(99_000) == "99.000₫")
        #expect(VietnameseFormat.money(0) == "0₫")
        let t = TestSupport.instant("2026-12-01T08:15:00+07:00")
        #expect(VietnameseFormat.dateTime(t, clock: TestSupport.saigon) == "08:15 ngày 01/12/2026")
        #expect(InstantFormat.format(t, clock: TestSupport.saigon) == "2026-12-01T08:15:00+07:00")
        #expect(InstantFormat.parse("2026-12-01 08:15", clock: TestSupport.saigon) == t)
        #expect(InstantFormat.parse("2026-12-01T01:15:00Z", clock: TestSupport.saigon) == t)
    }
}

@Suite("The outbox's stored renderings")
struct StoredRenderingTests {
    /// The hand-written JSON is read back by JSONDecoder as the same rendering: Vietnamese text,
    /// quotes, backslashes, control characters, emoji, nil fields left out.
    @Test func storedJSONReadsBackAsTheSameRendering() throws {
        let list = [
            Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "[QC] Chị Lan ơi, \"Tết\" giảm 10%\\n\nTừ chối: TC gửi 1900\t\u{1}\u{1F}", params: [:], templateId: nil),
            Rendering(channel: "email", to: "lan@example.vn", subject: "Chúc mừng năm mới 🎉", text: "Chào chị,\r\n", params: [:], templateId: nil,
                      html: "<p class=\"x\">Chào</p>"),
            Rendering(channel: "zalo", to: "+84912345678", subject: nil, text: "", params: ["name": "Lan", "ma_don": "DH1/2"], templateId: "231"),
        ]
        for r in list {
            #expect(try JSONDecoder().decode(Rendering.self, from: Data(r.storedJSON.utf8)) == r, "\(r.storedJSON)")
        }
        #expect(try JSONDecoder().decode([Rendering].self, from: Data(Rendering.storedJSON(list).utf8)) == list)
        #expect(Rendering.storedJSON([]) == "[]")
        #expect(!list[0].storedJSON.contains("subject"), "nil fields are left out")
    }
}

@Suite("Templates")
struct TemplateTests {
    @Test func rendersWithoutHTMLEscaping() throws {
        let t = try MessageTemplate("{{customer.salutation}} ơi, {{shop.name}}")
        #expect(t.render(["customer": ["salutation": "Chị Lan"], "shop": ["name": "Hoa & Sen"]]) == "Chị Lan ơi, Hoa & Sen")
    }

    @Test func unknownVariableIsNamedWithASuggestion() {
        #expect {
            try MessageTemplate("{{customer.salutaton}} ơi")
        } throws: { e in
            "\(e)".contains("{{customer.salutaton}}") && "\(e)".contains("did you mean {{customer.salutation}}")
        }
    }

    @Test func listSectionsResolveItemFields() throws {
        let t = try MessageTemplate("{{#orders}}{{id}} {{amount}} {{shop.name}}{{^last()}}, {{/last()}}{{/orders}}")
        #expect(t.render(["orders": [["id": "D1", "amount": "1₫"], ["id": "D2", "amount": "2₫"]], "shop": ["name": "S"]]) == "D1 1₫ S, D2 2₫ S")
        #expect(throws: TemplateProblem.self) { try MessageTemplate("{{#orders}}{{idd}}{{/orders}}") }
    }

    @Test func unparseableTemplateSaysWhere() {
        #expect {
            try MessageTemplate("Chị {{#orders}} không đóng")
        } throws: { e in "\(e)" == "the section {{#orders}} opened at line 1, column 5 is never closed: add {{/orders}}" }
        #expect {
            try MessageTemplate("{{#orders}}{{id}}\n{{#agent}}{{name}}{{/orders}}{{/agent}}")
        } throws: { e in "\(e)".hasPrefix("{{/orders}} at line 2, column 19 closes {{#agent}}, opened at line 2, column 1") }
    }
}

/// Zones whose offset has not changed since 2000 take an arithmetic shortcut; it must agree with
/// Foundation's calendar to the minute, both ways.
@Suite("Wall clock in a fixed-offset zone")
struct FixedOffsetClockTests {
    @Test func shortcutAgreesWithTheCalendar() {
        let clock = ShopClock(zoneIdentifier: "Asia/Ho_Chi_Minh")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = clock.zone
        var g = SeededGenerator(seed: 12)
        for _ in 0..<5000 {
            let t = Date(timeIntervalSince1970: Double.random(in: 946_684_800...4_000_000_000, using: &g))
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: t)
            let day = clock.localDate(of: t), time = clock.timeOfDay(of: t)
            #expect(day == LocalDate(year: c.year!, month: c.month!, day: c.day!), "\(t)")
            #expect(time == TimeOfDay(hour: c.hour!, minute: c.minute!), "\(t)")
            let back = calendar.date(from: DateComponents(year: c.year, month: c.month, day: c.day, hour: c.hour, minute: c.minute))!
            #expect(clock.instant(of: day, time) == back, "\(t)")
        }
    }
}
