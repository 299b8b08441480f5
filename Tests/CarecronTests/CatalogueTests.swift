import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import Testing

/// One catalogue for every sentence carecron says to a person (issue 26, item 3).
@Suite("The catalogue of sentences")
struct CatalogueTests {
    /// `{name}`s of a template.
    static func names(_ template: String) -> Set<String> {
        Set(template.matches(of: /\{([a-z_]+)\}/).map { String($0.output.1) })
    }

    @Test func everyEntrySaysTheSameValuesInBothLanguages() {
        for (code, entry) in Catalogue.all {
            #expect(Self.names(entry.vi) == Self.names(entry.en), "\(code): \(entry.vi) / \(entry.en)")
            #expect(!entry.vi.isEmpty && !entry.en.isEmpty && entry.vi != entry.en || code == "failure.raw", "\(code) is said in Vietnamese")
        }
    }

    /// Every code the sources name is in the catalogue: a missing one would show as its code.
    @Test func everyCodeTheSourcesUseIsInTheCatalogue() throws {
        let sources = TestSupport.packageRoot.appendingPathComponent("Sources")
        var used = Set<String>()
        for case let file as URL in FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)! where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for m in text.matches(of: /Sentence\("([a-z_]+\.[a-z_]+)"/) { used.insert(String(m.output.1)) }
            for m in text.matches(of: /\.word\("([a-z_]+\.[a-z_]+)"\)/) { used.insert(String(m.output.1)) }
        }
        #expect(used.count > 40, "the scan finds the sentences: \(used.count)")
        #expect(used.filter { !Catalogue.has($0) }.isEmpty, "codes without an entry: \(used.filter { !Catalogue.has($0) }.sorted())")
    }

    @Test func aReasonIsSaidInThePagesLanguageAndKeptInEnglishForTheLog() {
        let clock = TestSupport.saigon
        let s = Sentence("skip.quiet_moved", ["at": .at(TestSupport.instant("2026-12-01T08:00:00+07:00"), clock)])
        #expect(s.text(.vi) == "Rơi vào giờ yên lặng: dời sang T3 01/12/2026 08:00")
        #expect(s.description == "quiet hours: moved to 2026-12-01T08:00:00+07:00")
        let late = Sentence("skip.expiry_notice_late", ["late": .span(.minutes(90)), "order": .text("D1"), "lateness": .span(.hours(1))])
        #expect(late.text(.vi).contains("muộn 1 giờ 30 phút") && late.description.contains("it would come 1h30m after"))
        #expect(Sentence("skip.order_withdrawn", ["order": .text("D1"), "status": .word("order_status.cancelled")]).text(.vi) == "Đơn D1 đã hủy")
        #expect(Sentence(stored: s.stored) == s, "kept as a record and read back")
        #expect(Sentence(stored: "3 line(s) changed") == nil, "an older record is shown as it was written")
    }

    /// The outbox keeps the reasons to cancel in English; the console reads them back into
    /// their sentences to say them in Vietnamese.
    @Test func aStoredCancelReasonIsReadBackIntoItsSentence() throws {
        let facts = SendingFacts(optOut: .all, orders: [])
        let reason = try #require(StillWanted.reasonToCancel(customerId: "C1", orderIds: [], facts: facts, rules: nil, purpose: .marketing,
                                                             now: Date()))
        let m = message(state: .cancelled, error: reason)
        #expect(FailureMeaning.of(m)?.sentence.text(.vi) == "Đã hủy: Khách đã từ chối nhận mọi tin nhắn")
        let two = message(state: .cancelled, error: "order D1 was paid; order D2 was cancelled")
        #expect(FailureMeaning.of(two)?.sentence.text(.vi) == "Đã hủy: Đơn D1 đã thanh toán; Đơn D2 đã hủy")
    }

    func message(state: OutboxState, error: String, channel: String = "sms") -> OutboxMessage {
        OutboxMessage(id: 1, key: "k", job: "payment-reminder", customerId: "C1", orderIds: ["D1"], reminder: 1,
                      rendering: Rendering(channel: channel, to: "+84987000111", subject: nil, text: "x", params: [:], templateId: nil),
                      fallbacks: [], state: state, attempts: 1, dueAt: Date(), nextAttemptAt: Date(), lastError: error,
                      providerMessageId: nil, sentAt: nil)
    }

    /// Gateways' answers as their documentation gives them, said as what they mean; a retry is
    /// offered only where it can help.
    @Test func aGatewaysAnswerIsSaidAsWhatItMeansAndWhatToDo() {
        let cases: [(OutboxState, String, String, String, Bool)] = [
            (.dead, "sms", #"gateway answered CodeResult=99: {"CodeResult": "99", "ErrorMessage": "Phone not valid"}"#, "failure.phone_invalid", true),
            (.dead, "zalo", "Zalo -108: Phone number is invalid", "failure.phone_invalid", true),
            (.dead, "zalo", "Zalo -118: Zalo account does not exist", "failure.no_zalo", true),
            (.dead, "zalo", "configuration: Zalo template not approved (-131): template not approved", "failure.template", false),
            (.dead, "sms", "configuration: HTTP 401 Unauthorized", "failure.configuration", false),
            (.dead, "sms", "gave up after 6 attempts: connect timeout", "failure.gave_up", false),
            (.failed, "sms", "HTTP 503 Service Unavailable", "failure.temporary", false),
            (.failed, "zalo", "Zalo daily quota used up", "failure.quota", false),
            (.failed, "sms", "outcome unknown: readTimeout", "failure.unknown_outcome", false),
            (.failed, "zalo", "sender zns stopped: Zalo -124: invalid access token", "failure.sender_stopped", false),
            (.dead, "email", "550 5.1.1 mailbox unavailable", "failure.email_refused", true),
            (.dead, "sms", "no sender for channel sms", "failure.no_sender", false),
        ]
        for (state, channel, error, code, permanent) in cases {
            let meaning = FailureMeaning.of(message(state: state, error: error, channel: channel))
            #expect(meaning?.sentence.code == code && meaning?.permanent == permanent, "\(error) → \(String(describing: meaning))")
        }
        #expect(FailureMeaning.of(message(state: .sent, error: "")) == nil)
        #expect(FailureMeaning.of(message(state: .dead, error: "Phone not valid", channel: "sms"))?.sentence.text(.vi)
                == "Số điện thoại không hợp lệ — sửa số của khách rồi gửi lại")
    }

    @Test func searchTextIsFoldedAsAPersonTypesIt() {
        #expect(SearchText.fold("  Phạm  Thu HÀ ") == "pham thu ha")
        #expect(SearchText.fold("Đặng Ưng") == "dang ung")
        #expect(SearchText.givenFirst("pham thu ha") == "ha thu pham")
        #expect(SearchText.phone("0987 000 111") == "+84987000111" && SearchText.phone("+84 987-000-111") == "+84987000111")
        #expect(SearchText.phone("pham") == nil && SearchText.phone("12") == nil && SearchText.phone("DH-0987000111") == nil)
    }
}
