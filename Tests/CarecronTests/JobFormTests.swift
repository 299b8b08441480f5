import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import CarecronConsole

/// The job form (issue 26, item 1): fields declared by each job type, written back into the
/// file's JSON in one stable form, nothing written when nothing changed.
@Suite("The job form")
struct JobFormTests {
    static var jobsFolder: URL { TestSupport.packageRoot.appendingPathComponent("jobs") }

    /// The shipped files are in the form the console writes, so that a form's change of one
    /// value changes its line only. (CARECRON_FORMAT_JOBS=1 rewrites them so, deliberately.)
    @Test func theShippedJobFilesAreInTheStableForm() throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.jobsFolder.path) where file.hasSuffix(".json") {
            let url = Self.jobsFolder.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            let pretty = try JSONReader.parse(Data(text.utf8)).pretty
            if ProcessInfo.processInfo.environment["CARECRON_FORMAT_JOBS"] == "1" { try pretty.write(to: url, atomically: true, encoding: .utf8) }
            #expect(text == pretty, "jobs/\(file) is not in the stable form")
        }
    }

    @Test func everyJobTypesFormReadsItsFileAndWritesBackOnlyWhatChanged() throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.jobsFolder.path) where file.hasSuffix(".json") {
            let text = try String(contentsOf: Self.jobsFolder.appendingPathComponent(file), encoding: .utf8)
            let json = try JSONReader.parse(Data(text.utf8))
            let form = JobForm(json: json)
            // Posting every field as shown changes nothing, not one byte.
            var posted: [String: String] = [:]
            for f in form.fields + form.variants.flatMap({ $0.map(\.field) }) { posted["f:" + f.name] = form.display(f) }
            let same = form.applying(posted)
            #expect(JobForm.text(original: text, json: json, edited: same) == text, "\(file): an unchanged form writes the file as it was")
            // One value changed: that line alone differs.
            posted["f:description"] = "Mô tả mới"
            let changed = JobForm.text(original: text, json: json, edited: form.applying(posted))
            let before = text.split(separator: "\n", omittingEmptySubsequences: false), after = changed.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(before.count == after.count && zip(before, after).filter { $0 != $1 }.count == 1, "\(file): one field, one line")
            #expect(!changed.contains("\r") && changed.hasSuffix("}\n"))
        }
    }

    @Test func valuesAreTypedAsTheirFieldsSayAndEmptyOnesLeaveTheDefault() {
        #expect(JobForm.value("3", kind: .number(1...5)) == .number(3))
        #expect(JobForm.value("ba", kind: .number(1...5)) == .string("ba"), "kept, for the check to name at the field")
        #expect(JobForm.value("1.250.000", kind: .money) == .number(1_250_000))
        #expect(JobForm.value("sms, email", kind: .ordered(["zalo", "sms", "email"])) == .array([.string("sms"), .string("email")]))
        #expect(JobForm.value("3, 8", kind: .ordered((1...12).map(String.init))) == .array([.number(3), .number(8)]))
        #expect(JobForm.value("false", kind: .toggle) == .bool(false))
        #expect(JobForm.value("ten = {{customer.salutation}}\r\nma = {{order.id}}", kind: .pairs)
                == .ordered([("ten", .string("{{customer.salutation}}")), ("ma", .string("{{order.id}}"))]))
        #expect(JobForm.value("  ", kind: .span) == nil)
        #expect(JobForm.value("dòng 1\r\ndòng 2", kind: .paragraph) == .string("dòng 1\ndòng 2"), "a browser's CRLF is LF in the file")
    }

    @Test func aProblemGoesToItsField() throws {
        let json = try JSONReader.parse(Data(try String(contentsOf: Self.jobsFolder.appendingPathComponent("payment-reminder.json"), encoding: .utf8).utf8))
        let form = JobForm(json: json)
        let names = (form.fields + form.variants.flatMap { $0.map(\.field) }).map(\.name)
        #expect(form.field(for: "templates[0].sms", names: names) == "templates.0.sms.text")
        #expect(form.field(for: "rules.maxReminders", names: names) == "rules.maxReminders")
        #expect(form.field(for: "templates[1].zalo.params.ten", names: names) == "templates.1.zalo.params")
        #expect(form.field(for: "rules.windows[1].remindAt", names: names) == "rules.windows", "the windows' table")
    }

    /// Every input of the form as the page shows it (a table's cells one by one).
    static func shown(_ form: JobForm) -> [String: String] {
        var posted: [String: String] = [:]
        for f in form.fields + form.variants.flatMap({ $0.map(\.field) }) {
            guard case .rows(let columns) = f.kind else {
                posted["f:" + f.name] = form.display(f)
                continue
            }
            for row in 0..<form.rowCount(f) {
                for c in columns { posted["f:\(f.name).\(row).\(c.key)"] = form.cell(f, row: row, key: c.key) }
            }
        }
        return posted
    }

    /// The payment reminder's windows are a table: a cell changed changes its window's line, a
    /// row emptied is removed, the empty last row adds one; the job reads what was written.
    @Test func theReminderWindowsAreATableOfRows() throws {
        let text = try String(contentsOf: Self.jobsFolder.appendingPathComponent("payment-reminder.json"), encoding: .utf8)
        let json = try JSONReader.parse(Data(text.utf8))
        let form = JobForm(json: json)
        let windows = try #require(form.fields.first { $0.name == "rules.windows" })
        #expect(form.rowCount(windows) == 5, "four windows and an empty row")
        var posted = Self.shown(form)
        #expect(posted["f:rules.windows.1.deadline"] == "16:30" && posted["f:rules.windows.3.deadline"] == "" && posted["f:rules.windows.4.name"] == "")
        #expect(JobForm.text(original: text, json: json, edited: form.applying(posted)) == text, "as shown: not one byte")

        posted["f:rules.windows.1.remindAt"] = "15:30"
        let moved = JobForm.text(original: text, json: json, edited: form.applying(posted))
        let diff = zip(text.split(separator: "\n"), moved.split(separator: "\n")).filter { $0 != $1 }
        #expect(diff.count == 1 && diff.first?.1.contains("\"remindAt\": \"15:30\"") == true, "one window's line: \(diff)")

        for key in ["name", "from", "to", "remindAt", "deadline"] { posted["f:rules.windows.3.\(key)"] = "" }
        posted["f:rules.windows.4.name"] = "khuya"
        for (key, value) in [("from", "19:30"), ("to", "05:00"), ("remindAt", "09:30")] { posted["f:rules.windows.4.\(key)"] = value }
        let edited = form.applying(posted)
        guard case .array(let rows)? = edited.value(at: ["rules", "windows"]) else { Issue.record("no windows"); return }
        #expect(rows.count == 4 && rows.last?["name"] == .string("khuya") && rows.last?["deadline"] == nil, "the night row removed, one added")
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        let checked = JobLoader.check(text: edited.pretty, name: "payment-reminder", config: config)
        #expect(checked.job != nil, "\(checked.diagnostics)")

        posted["f:rules.windows.4.remindAt"] = "9 giờ"
        let wrong = JobLoader.check(text: form.applying(posted).pretty, name: "payment-reminder", config: config)
        let problem = try #require(wrong.diagnostics.first { $0.severity == .error })
        let names = (form.fields + form.variants.flatMap { $0.map(\.field) }).map(\.name)
        #expect(form.field(for: problem.path, names: names) == "rules.windows", "\(problem.path)")
        #expect(problem.sentence?.text(.vi).contains("không phải giờ trong ngày") == true, "\(problem.message)")
    }

    /// A COD confirmation's delivery days are two numbers; one changed alone is read with the other's default.
    @Test func codDeliveryDaysAreTwoNumbers() throws {
        let text = try String(contentsOf: Self.jobsFolder.appendingPathComponent("cod-confirmation.json"), encoding: .utf8)
        let json = try JSONReader.parse(Data(text.utf8))
        let form = JobForm(json: json)
        var posted = Self.shown(form)
        #expect(posted["f:rules.deliveryDays.min"] == "1" && posted["f:rules.deliveryDays.max"] == "3")
        posted["f:rules.deliveryDays.max"] = "5"
        let edited = form.applying(posted)
        #expect(edited.value(at: ["rules", "deliveryDays"]) == .ordered([("min", .number(1)), ("max", .number(5))]))
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        let alone = json.setting(["rules", "deliveryDays"], to: .ordered([("max", .number(5))]))
        let job = try #require(JobLoader.check(text: alone.pretty, name: "cod-confirmation", config: config).job)
        #expect((job.rules as? CodConfirmationRules)?.deliveryDays == 1...5, "min left out: its default")
        let inverted = json.setting(["rules", "deliveryDays"], to: .ordered([("min", .number(6))]))
        #expect(JobLoader.check(text: inverted.pretty, name: "cod-confirmation", config: config).diagnostics.contains { $0.sentence?.code == "check.min_over_max" })
    }

    /// What a marketer types wrong reads in Vietnamese: a template's syntax, an unknown
    /// variable, a JSON typo in the advanced editor, a tier config.json does not have.
    @Test func templateAndJSONMistakesAreSaidInVietnamese() throws {
        func problem(_ source: String) -> TemplateProblem? {
            do { _ = try MessageTemplate(source); return nil } catch { return error }
        }
        let unclosed = try #require(problem("{{customer.salutation}} ơi {{#orders}}{{id}}"))
        #expect(unclosed.sentence.text(.vi) == "đoạn {{#orders}} mở ở dòng 1, cột 28 chưa được đóng: thêm {{/orders}}", "\(unclosed.sentence.text(.vi))")
        #expect(unclosed.message == "the section {{#orders}} opened at line 1, column 28 is never closed: add {{/orders}}")
        let typo = try #require(problem("{{customer.salutaton}} ơi"))
        #expect(typo.sentence.text(.vi) == "không có biến {{customer.salutaton}} (có phải ý bạn là {{customer.salutation}}?)")
        #expect(try #require(problem("{{customer.salutation")).sentence.text(.vi).hasPrefix("thẻ chưa xong ở dòng 1"))

        for (text, vi) in [("{\"a\": 1,}", "JSON sai ở dòng 1, cột 9: cần tên mục trong dấu ngoặc kép sau dấu ',', gặp '}' (thừa dấu phẩy?)"),
                           ("{\"a\": [1, 2", "JSON sai ở dòng 1, cột 12: tệp kết thúc khi danh sách [ … ] chưa đóng (thiếu ']')"),
                           ("{\"a\" 1}", "JSON sai ở dòng 1, cột 6: cần dấu ':' sau mục “a”, gặp '1'"),
                           ("{\"a\": 1", "JSON sai ở dòng 1, cột 8: tệp kết thúc khi nhóm { … } chưa đóng (thiếu '}')")] {
            do { _ = try JSONReader.parse(text); Issue.record("\(text) parsed") } catch {
                #expect(error.sentence.text(.vi) == vi, "\(error.sentence.text(.vi)) ← \(error.description)")
                #expect(error.sentence.text(.en) == error.description)
            }
        }
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        let json = try JSONReader.parse(Data(JobFormReviewTests.file.utf8))
        let campaign = json.setting(["type"], to: .string("campaign")).setting(["templates", "0", "tiers"], to: .array([.string("Gold")]))
        let said = JobLoader.check(text: campaign.pretty, name: "x", config: config).diagnostics.compactMap { $0.sentence?.text(.vi) }
        #expect(said.contains("chiến dịch gửi vào dịp của nó (“when”), không theo lịch chạy: bỏ “schedule”"), "\(said)")
    }
}

/// The form through the console's routes, in process: shown in Vietnamese, checked with each
/// problem at its field, saved (LF, one line for one value), nothing written for no change,
/// and an old version looked at against the current file before it is restored.
@Suite("The job form, in process")
struct JobFormRouteTests {
    @Test func aMarketerEditsAJobInItsFormWithoutJSON() async throws {
        var folder: URL?
        let router = try ConsoleRouteTests.router(edit: { folder = $0 })
        let jobs = try #require(folder).appendingPathComponent("jobs")
        let file = jobs.appendingPathComponent("payment-reminder.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        let sms = "f:templates.0.sms.text"
        try await Application(router: router).test(.router) { client in
            let editor = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let page = try await client.execute(uri: "/console/jobs/payment-reminder/form", method: .get, headers: editor) { r in
                #expect(r.status == .ok)
                return ConsoleRouteTests.text(r.body)
            }
            #expect(page.contains("Số lần nhắc tối đa") && page.contains("Nội dung SMS") && page.contains("Gửi không dấu"), "labels in Vietnamese")
            #expect(page.contains("name=\"f:rules.maxReminders\" type=\"number\" min=\"1\" max=\"5\" value=\"2\""), "a number with its bounds")
            #expect(page.contains("{{customer.salutation}}</option>"), "the variable picker")
            let csrf = try #require(ConsoleRouteTests.csrf(page)), base = try #require(ConsoleRouteTests.hidden(page, "base"))
            let shown = JobForm(json: try JSONReader.parse(Data(original.utf8)))
            var fields = ["csrf": csrf, "base": base]
            for f in shown.fields + shown.variants.flatMap({ $0.map(\.field) }) { fields["f:" + f.name] = shown.display(f) }

            // Saving the form as shown changes nothing: no write, no history, no audit line.
            try await client.execute(uri: "/console/jobs/payment-reminder/form/save", method: .post, headers: ConsoleRouteTests.form(editor),
                                     body: ConsoleRouteTests.encoded(fields)) { r in
                #expect(r.status == .seeOther && r.headers[.location]?.contains("unchanged=1") == true)
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == original)

            // A broken rule, as one types: the problem at its field, in Vietnamese.
            var broken = fields
            broken[sms] = "Don hang cua {{customer.salutation}}: {{#orders}}{{id}}{{/orders}}"
            try await client.execute(uri: "/console/jobs/payment-reminder/form/check?fragment=1", method: .post, headers: ConsoleRouteTests.form(editor),
                                     body: ConsoleRouteTests.encoded(broken)) { r in
                let fragment = ConsoleRouteTests.text(r.body)
                #expect(r.status == .unprocessableContent)
                #expect(fragment.contains("data-field=\"f:templates.0.sms.text\"") && fragment.contains("tên khách phải nằm trong 7 ký tự đầu"),
                        "\(fragment.prefix(1500))")
            }
            var outOfRange = fields
            outOfRange["f:rules.maxReminders"] = "9"
            try await client.execute(uri: "/console/jobs/payment-reminder/form/check?fragment=1", method: .post, headers: ConsoleRouteTests.form(editor),
                                     body: ConsoleRouteTests.encoded(outOfRange)) { r in
                let fragment = ConsoleRouteTests.text(r.body)
                #expect(fragment.contains("data-field=\"f:rules.maxReminders\"") && fragment.contains("phải từ 1 đến 5, đang là 9"), "\(fragment.prefix(1500))")
            }

            // A change of the SMS wording (typed in a browser: CRLF): saved with LF, one line changed.
            var reworded = fields
            reworded[sms] = (fields[sms] ?? "").replacingOccurrences(of: " oi, don ", with: " oi, don hang ")
            try await client.execute(uri: "/console/jobs/payment-reminder/form/check?fragment=1", method: .post, headers: ConsoleRouteTests.form(editor),
                                     body: ConsoleRouteTests.encoded(reworded)) { r in
                let fragment = ConsoleRouteTests.text(r.body)
                #expect(r.status == .ok && fragment.contains("<td>payment-reminder</td><td>sms</td><td>đổi lời</td>"), "the diff says the SMS changed")
            }
            try await client.execute(uri: "/console/jobs/payment-reminder/form/save", method: .post, headers: ConsoleRouteTests.form(editor),
                                     body: ConsoleRouteTests.encoded(reworded)) { r in
                #expect(r.status == .seeOther && r.headers[.location]?.contains("/form?saved=1") == true)
            }
            let saved = try String(contentsOf: file, encoding: .utf8)
            let before = original.split(separator: "\n", omittingEmptySubsequences: false), after = saved.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(!saved.contains("\r") && before.count == after.count && zip(before, after).filter { $0 != $1 }.count == 1)
            try await client.execute(uri: "/console/audit?lang=en", method: .get, headers: editor) { r in
                #expect(ConsoleRouteTests.rows(ConsoleRouteTests.text(r.body)).contains { $0.contains("| lan | save | jobs/payment-reminder.json | 1 line(s) changed") })
            }

            // The old version, against the current file, before restoring it.
            let version = try #require(JobFiles(folder: jobs).history("payment-reminder").first?.file)
            try await client.execute(uri: "/console/jobs/payment-reminder/history/\(version)", method: .get, headers: editor) { r in
                let page = ConsoleRouteTests.text(r.body)
                #expect(r.status == .ok && page.contains("<span class=\"removed\">− ") && page.contains("oi, don hang {{#orders}}"))
                #expect(page.contains("<span class=\"added\">+ ") && page.contains("id=\"restore\""), "what restoring brings back, and the button")
            }
        }
    }

    /// A variant is added and another removed on the page, without JSON: shown at once with its
    /// own fields, written only by "Lưu", the other variants' texts kept in their places.
    @Test func aVariantIsAddedAndAnotherRemovedInTheForm() async throws {
        var folder: URL?
        let router = try ConsoleRouteTests.router(edit: { folder = $0 })
        let file = try #require(folder).appendingPathComponent("jobs/birthday.json")
        let originalText = try String(contentsOf: file, encoding: .utf8)
        let original = try JSONReader.parse(Data(originalText.utf8))
        guard case .array(let variants)? = original["templates"] else { Issue.record("no templates"); return }
        try await Application(router: router).test(.router) { client in
            let editor = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let page = try await client.execute(uri: "/console/jobs/birthday/form", method: .get, headers: editor) { r in ConsoleRouteTests.text(r.body) }
            #expect(page.contains("id=\"add-variant\"") && ConsoleRouteTests.hidden(page, "variants") == (0..<variants.count).map(String.init).joined(separator: ","))
            var fields = JobFormTests.shown(JobForm(json: original))
            fields["csrf"] = ConsoleRouteTests.csrf(page)
            fields["base"] = ConsoleRouteTests.hidden(page, "base")
            fields["variants"] = ConsoleRouteTests.hidden(page, "variants")

            // Added: the page shows one more variant, empty, and says it is not saved yet.
            var adding = fields
            adding["variant"] = "add"
            let added = try await client.execute(uri: "/console/jobs/birthday/form/check", method: .post, headers: ConsoleRouteTests.form(editor),
                                                 body: ConsoleRouteTests.encoded(adding)) { r in ConsoleRouteTests.text(r.body) }
            let n = variants.count
            #expect(added.contains("name=\"f:templates.\(n).text\"") && added.contains("bấm “Lưu”"), "\(added.prefix(600))")
            let order = try #require(ConsoleRouteTests.hidden(added, "variants"))
            #expect(order == (0..<n).map(String.init).joined(separator: ",") + ",+")
            #expect(try String(contentsOf: file, encoding: .utf8) == originalText && JobFiles(folder: file.deletingLastPathComponent()).history("birthday").isEmpty,
                    "nothing written yet")

            // Saved with the new variant's text; then the first one removed and saved.
            var saving = fields
            saving["variants"] = order
            saving["f:templates.\(n).text"] = "{{customer.salutation}} ơi, chúc mừng sinh nhật! Shop gửi lời chúc tốt đẹp nhất.\n{{optOut}}"
            saving["f:templates.\(n).sms.text"] = "[QC] {{customer.salutation}} oi, chuc mung sinh nhat!\n{{optOut}}"
            saving["f:templates.\(n).email.subject"] = "Chúc mừng sinh nhật {{customer.salutation}}"
            saving["f:templates.\(n).email.body"] = "{{customer.salutation}} ơi, chúc mừng sinh nhật!\n{{optOut}}"
            try await client.execute(uri: "/console/jobs/birthday/form/save", method: .post, headers: ConsoleRouteTests.form(editor),
                                     body: ConsoleRouteTests.encoded(saving)) { r in
                let body = ConsoleRouteTests.text(r.body)
                #expect(r.status == .seeOther && r.headers[.location]?.contains("saved=1") == true,
                        "\(body.components(separatedBy: "<li data-field=").dropFirst().map { $0.prefix(300) })")
            }
            let three = try JSONReader.parse(Data(try String(contentsOf: file, encoding: .utf8).utf8))
            guard case .array(let after)? = three["templates"] else { Issue.record("no templates"); return }
            #expect(after.count == n + 1 && Array(after.prefix(n)) == variants && after[n].value(at: ["sms", "text"]) == .string("[QC] {{customer.salutation}} oi, chuc mung sinh nhat!\n{{optOut}}"))

            let page2 = try await client.execute(uri: "/console/jobs/birthday/form", method: .get, headers: editor) { r in ConsoleRouteTests.text(r.body) }
            var removing = JobFormTests.shown(JobForm(json: three))
            removing["csrf"] = ConsoleRouteTests.csrf(page2)
            removing["base"] = ConsoleRouteTests.hidden(page2, "base")
            removing["variants"] = ConsoleRouteTests.hidden(page2, "variants")
            removing["variant"] = "remove-0"
            let removed = try await client.execute(uri: "/console/jobs/birthday/form/check", method: .post, headers: ConsoleRouteTests.form(editor),
                                                   body: ConsoleRouteTests.encoded(removing)) { r in ConsoleRouteTests.text(r.body) }
            let left = try #require(ConsoleRouteTests.hidden(removed, "variants"))
            #expect(left == (1...n).map(String.init).joined(separator: ","))
            var shown = JobFormTests.shown(JobForm(json: three.setting(["templates", "0"], to: nil)))
            shown["csrf"] = removing["csrf"]
            shown["base"] = removing["base"]
            shown["variants"] = left
            try await client.execute(uri: "/console/jobs/birthday/form/save", method: .post, headers: ConsoleRouteTests.form(editor),
                                     body: ConsoleRouteTests.encoded(shown)) { r in #expect(r.status == .seeOther) }
            let two = try JSONReader.parse(Data(try String(contentsOf: file, encoding: .utf8).utf8))
            guard case .array(let last)? = two["templates"] else { Issue.record("no templates"); return }
            #expect(last == Array(after.dropFirst()), "the first removed, the others in their order")
        }
    }

    /// The JSON editor posts its textarea with CRLF, as browsers do: the file keeps LF.
    @Test func theJSONEditorSavesLF() async throws {
        var folder: URL?
        let router = try ConsoleRouteTests.router(edit: { folder = $0 })
        let file = try #require(folder).appendingPathComponent("jobs/birthday.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        try await Application(router: router).test(.router) { client in
            let editor = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let page = try await client.execute(uri: "/console/jobs/birthday/edit", method: .get, headers: editor) { r in ConsoleRouteTests.text(r.body) }
            let csrf = try #require(ConsoleRouteTests.csrf(page)), base = try #require(ConsoleRouteTests.hidden(page, "base"))
            let edited = original.replacingOccurrences(of: "\n", with: "\r\n").replacingOccurrences(of: "chuc mung sinh nhat", with: "chuc mung SN")
            try await client.execute(uri: "/console/jobs/birthday/save", method: .post, headers: ConsoleRouteTests.form(editor),
                                     body: ConsoleRouteTests.encoded(["csrf": csrf, "base": base, "text": edited])) { r in
                #expect(r.status == .seeOther)
            }
            let saved = try String(contentsOf: file, encoding: .utf8)
            #expect(!saved.contains("\r") && saved == original.replacingOccurrences(of: "chuc mung sinh nhat", with: "chuc mung SN"))
        }
    }
}

/// What the first review of the form found (issue 26), each kept from coming back.
@Suite("The job form, reviewed")
struct JobFormReviewTests {
    static let file = """
        {
          "type": "birthday",
          "description": "Chúc mừng sinh nhật",
          "enabled": true,
          "schedule": "0 9 * * *",
          "purpose": "marketing",
          "channels": ["sms"],
          "templates": [{ "text": "[QC] {{customer.salutation}} ơi, chúc mừng sinh nhật!\\n{{optOut}}", "sms": "[QC] {{customer.salutation}} oi, chuc mung sinh nhat!\\n{{optOut}}" }]
        }

        """

    /// A variant without "unaccented" and with its SMS as a plain string, posted as shown:
    /// nothing changes (a select always sends an option; the string stays a string).
    @Test func aFormPostedAsShownChangesNothingEvenWhereTheFileLeavesKeysOut() throws {
        let json = try JSONReader.parse(Data(Self.file.utf8))
        let form = JobForm(json: json)
        var posted: [String: String] = [:]
        for f in form.fields + form.variants.flatMap({ $0.map(\.field) }) {
            posted["f:" + f.name] = f.kind == .toggle && form.display(f).isEmpty ? (f.fallback ?? "false") : form.display(f)
        }
        #expect(posted["f:templates.0.sms.text"]?.hasPrefix("[QC] {{customer.salutation}} oi") == true, "the short SMS form is shown as the SMS text")
        #expect(JobForm.text(original: Self.file, json: json, edited: form.applying(posted)) == Self.file)
        posted["f:templates.0.sms.text"] = "[QC] {{customer.salutation}} oi, mung sinh nhat!\n{{optOut}}"
        let edited = form.applying(posted)
        #expect(edited.value(at: ["templates", "0", "sms"]) == .string("[QC] {{customer.salutation}} oi, mung sinh nhat!\n{{optOut}}"))
        #expect(edited.value(at: ["templates", "0", "sms", "unaccented"]) == nil)
        posted["f:templates.0.sms.text"] = ""
        let emptied = form.applying(posted)
        #expect(emptied.value(at: ["templates", "0", "sms"]) == nil && !emptied.pretty.contains("{}"),
                "an emptied SMS text leaves the shared text to the SMS, never an empty {}")
    }

    @Test func aStoredReasonIsAlwaysReadBackAsTheSameSentence() {
        for _ in 0..<20 {
            #expect(Catalogue.recognise("order D1 was already delivered", families: ["cancel.", "skip.order_withdrawn"])?.code == "cancel.order_delivered")
        }
        let tricky = Sentence("skip.order_withdrawn", ["order": .text("{status}"), "status": .word("order_status.cancelled")])
        #expect(tricky.text(.vi) == "Đơn {status} đã hủy", "a value is never filled again")
    }
}

/// A campaign's panel above the preview's size (a million customers): counted, not previewed,
/// and still saying who is left out and why.
@Suite("The campaign panel, counted")
struct CampaignPanelTests {
    @Test func aLargeAudienceIsCountedWithWhoHasNoAddressAndTheCapSaidToComeLater() async throws {
        let dir = try TestSupport.shopFolder()
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"))
        let config = try #require(loaded.config)
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        let importer = Importer(store: store, clock: config.clock)
        _ = try importer.run(.customers, file: TestSupport.basicScenario.appendingPathComponent("customers.csv"))
        let everyone = """
            {
              "type": "campaign", "description": "Mọi khách, qua email", "enabled": true, "purpose": "marketing", "channels": ["email"],
              "audience": {}, "when": { "dates": ["03-08"], "time": "09:00" },
              "templates": [{ "text": "[QC] {{customer.salutation}} ơi, chúc mừng 8/3!\\n{{optOut}}",
                              "email": { "subject": "Chúc mừng 8/3", "body": "{{customer.salutation}} ơi, chúc mừng 8/3!\\n{{optOut}}" } }]
            }
            """
        let checked = JobLoader.check(text: everyone, name: "everyone", config: config)
        let emailOnly = try #require(checked.job, "\(checked.diagnostics)")
        let page = CampaignsPage(config: config, jobs: loaded.jobs, store: store, words: try Views.load().scheduleWords(.vi))
        let now = TestSupport.instant("2026-12-07T10:00:00+07:00")
        let previewed = try #require(try await CampaignPanel.make(emailOnly, page: page, now: now))
        let counted = try #require(try await CampaignPanel.make(emailOnly, page: page, now: now, previewUpTo: 0))
        #expect(counted.members == previewed.members && counted.messages == nil && counted.capLater == true, "\(previewed) \(counted)")
        let noAddress = previewed.leftOut.first { $0.label == "Không có địa chỉ nhận" }?.count
        #expect(previewed.members > 0 && noAddress != nil && counted.leftOut.map(\.count) == [noAddress!], "the same count of customers without an email, previewed or counted")
    }

    /// Issue 27: the form says how long a channel waits for its receipt, and each Zalo
    /// parameter's type; a name longer than Zalo allows shows under the Zalo parameters.
    @Test func theFormHoldsTheReceiptWaitAndZaloTypesAndSaysZalosLimit() throws {
        let text = try String(contentsOf: JobFormTests.jobsFolder.appendingPathComponent("payment-reminder.json"), encoding: .utf8)
        var json = try JSONReader.parse(Data(text.utf8)).setting(["channels"], to: .array([.string("zalo"), .string("sms")]))
        for i in 0..<2 {
            json = json.setting(["templates", "\(i)", "zalo"], to: JSONValue.ordered([("templateId", .string("231456")),
                                                                              ("params", .ordered([("customer_name", .string("{{customer.fullName}}"))]))]))
        }
        let form = JobForm(json: json)
        var posted = JobFormTests.shown(form)
        #expect(posted["f:fallbackAfter"] == "" && posted["f:templates.0.zalo.paramTypes"] == "")
        posted["f:fallbackAfter"] = "zalo = 10m"
        posted["f:templates.0.zalo.paramTypes"] = "customer_name = name"
        let edited = form.applying(posted)
        #expect(edited.value(at: ["fallbackAfter"]) == .ordered([("zalo", .string("10m"))]))
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        let checked = JobLoader.check(text: edited.pretty, name: "payment-reminder", config: config)
        let problem = try #require(checked.diagnostics.first { $0.severity == .error }, "\(checked.diagnostics)")
        let names = (form.fields + form.variants.flatMap { $0.map(\.field) }).map(\.name)
        #expect(form.field(for: problem.path, names: names) == "templates.0.zalo.params", "\(problem.path)")
        #expect(problem.sentence?.text(.vi) == "“Công Tôn Nữ Thị Thanh Hương Giang” dài 33 ký tự; Zalo chỉ cho phép 30 ký tự cho tên khách hàng")
        posted["f:fallbackAfter"] = "10m"
        #expect(form.applying(posted).value(at: ["fallbackAfter"]) == .string("10m"), "the short form kept")
    }

    /// The measurement fields (issue 28): a control group as a percentage (the short form kept),
    /// an experiment's split as numbers, a goal's window; checked as the loader reads them.
    @Test func theFormHoldsTheControlGroupTheExperimentAndTheGoal() throws {
        let text = try String(contentsOf: JobFormTests.jobsFolder.appendingPathComponent("birthday.json"), encoding: .utf8)
        var json = try JSONReader.parse(Data(text.utf8))
        if case .array(let items)? = json["templates"] { json = json.setting(["templates"], to: .array(items + items)) }
        let form = JobForm(json: json)
        var posted = JobFormTests.shown(form)
        #expect(posted["f:holdout.share"] == "" && posted["f:experiment.split"] == "" && posted["f:goal.within"] == "")
        posted["f:holdout.share"] = "2,5"
        posted["f:experiment.split"] = "70, 30"
        posted["f:goal.within"] = "10d"
        let edited = form.applying(posted)
        #expect(edited.value(at: ["holdout"]) == .ordered([("share", .number(0.025))]) && edited.value(at: ["experiment"]) == .ordered([("split", .array([.number(70), .number(30)]))]))
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        let job = try #require(JobLoader.check(text: edited.pretty, name: "birthday", config: config).job)
        #expect(job.holdout?.share == 0.025 && job.experiment?.split == [70, 30] && job.goalWithin == .days(10))

        // A file writing the share alone shows it as a percentage and keeps that form.
        let short = JobForm(json: json.setting(["holdout"], to: .number(0.05)))
        var again = JobFormTests.shown(short)
        #expect(again["f:holdout.share"] == "5")
        #expect(short.applying(again) == short.json, "shown as is, saved as is")
        again["f:holdout.share"] = "10"
        #expect(short.applying(again).value(at: ["holdout"]) == .number(0.1))
    }
}
