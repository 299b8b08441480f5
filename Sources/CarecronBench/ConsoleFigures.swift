import CarecronDomain
@_spi(Bench) import CarecronSQLite
import Foundation

/// Issue 12's and 26's targets, on a real `carecron console` over a synthetic shop, with curl as
/// the browser: the plan page for 7 days (time, weight), the plan diff of a template edit, a
/// customer found by a name without accents and by a phone, a campaign's live count, and the
/// outbox's pages over `outboxRows` sent messages (the first, one deep in them, filtered).
extension Performance {
    public func console(customers: Int, outboxRows: Int = 0) throws {
        let size = Self.label(customers)
        let (shop, data) = try self.shop(customers: customers)
        defer { shop.remove() }
        try importRate(shop, data: data, customers: customers, record: false)
        if outboxRows > 0 { try Store(url: shop.database).fillWithSentMessages(outboxRows, endingAt: Date()) }
        // Someone to look for, as a marketer would type her: her name without accents, her phone with spaces.
        let sought = try Store(url: shop.database).searchCustomers("C\(customers / 2)", limit: 1).first
        // The console as of the synthetic shop's day: its week is the one the orders lead up to.
        let console = try BenchConsole(binary: binary, shop: shop, at: "\(day)T08:00:00+07:00", readyStatus: 303)
        defer { console.stop() }
        let log = console.log, page = console.page
        func fetch(_ path: String, form: [String] = []) throws -> (status: Int, seconds: Double, bytes: Int) { try console.fetch(path, form: form) }
        // The week from two days before the shop's day (its last orders) on.
        let from = LocalDate(iso: day)!.adding(days: -2).description
        var times: [Double] = [], bytes = 0
        for _ in 0..<3 {
            let r = try fetch("/plan?from=\(from)&days=7")
            guard r.status == 200 else { throw BenchError("the plan page answered \(r.status); see \(log)") }
            times.append(r.seconds)
            bytes = r.bytes
        }
        times.sort()
        figures.record("console_plan_7d_\(size)_seconds", times[1], "s")
        figures.record("console_plan_7d_\(size)_size", Double(bytes / 1024), "KB")
        // An edit of the payment reminder's SMS (one word more): the diff of the week.
        _ = try fetch("/jobs/payment-reminder/edit")
        let editor = try String(contentsOfFile: page, encoding: .utf8)
        guard let csrf = Self.hidden(editor, "csrf"), let fingerprint = Self.hidden(editor, "base"),
              let text = Self.textarea(editor) else { throw BenchError("the editor page has no form") }
        let edited = text.replacingOccurrences(of: " oi, don ", with: " oi, don hang ")
        var diffTimes: [Double] = []
        for _ in 0..<3 {
            let r = try fetch("/jobs/payment-reminder/check?fragment=1", form: ["csrf=\(csrf)", "base=\(fingerprint)", "text=\(edited)"])
            guard r.status == 200 else { throw BenchError("the diff answered \(r.status); see \(log)") }
            diffTimes.append(r.seconds)
        }
        diffTimes.sort()
        let fragment = try String(contentsOfFile: page, encoding: .utf8)
        let changes = fragment.range(of: "class=\"diff\"").flatMap { fragment[$0.upperBound...].range(of: "<small>(") }
            .map { Int(fragment[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
        figures.record("console_diff_7d_\(size)_seconds", diffTimes[1], "s")
        figures.record("console_diff_7d_\(size)_changes", Double(changes), "messages")

        /// The median of three answers of a page that must answer 200 (or a redirect, for a search that found one).
        func median(_ path: String) throws -> Double {
            var times: [Double] = []
            for _ in 0..<3 {
                let r = try fetch(path)
                guard r.status == 200 || r.status == 303 else { throw BenchError("\(path) answered \(r.status); see \(log)") }
                times.append(r.seconds)
            }
            return times.sorted()[1]
        }
        func query(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }
        if let sought {
            let name = SearchText.fold(sought.name), phone = sought.phone.map { "0" + $0.dropFirst(3) } ?? ""
            let spaced = phone.enumerated().map { i, c in i == 4 || i == 7 ? " \(c)" : "\(c)" }.joined()
            figures.record("console_search_name_\(size)_seconds", try median("/customers?q=\(query(name))"), "s")
            figures.record("console_search_given_\(size)_seconds", try median("/customers?q=\(query(String(name.split(separator: " ").last ?? "")))"), "s")
            figures.record("console_search_phone_\(size)_seconds", try median("/customers?q=\(query(spaced))"), "s")
        }
        figures.record("console_campaign_count_\(size)_seconds", try median("/campaigns/tet-greeting/audience"), "s")
        figures.record("console_campaign_page_\(size)_seconds", try median("/campaigns/tet-greeting"), "s")
        if outboxRows > 0 {
            let rows = Self.label(outboxRows)
            figures.record("console_outbox_first_\(rows)_seconds", try median("/outbox"), "s")
            figures.record("console_outbox_deep_\(rows)_seconds", try median("/outbox?before=\(outboxRows / 2)"), "s")
            figures.record("console_outbox_sent_\(rows)_seconds", try median("/outbox?state=sent&before=\(outboxRows / 3)"), "s")
            figures.record("console_outbox_dead_\(rows)_seconds", try median("/outbox?state=dead"), "s")
            figures.record("console_outbox_job_\(rows)_seconds", try median("/outbox?job=birthday&before=\(outboxRows / 4)"), "s")
            let weekAgo = LocalDate(iso: day)!.adding(days: -7).description
            figures.record("console_outbox_day_\(rows)_seconds", try median("/outbox?from=\(weekAgo)&to=\(weekAgo)"), "s")
        }
    }

    /// A real `carecron console` over a bench shop, with curl as the browser (its own timing).
    struct BenchConsole {
        let child: Child
        let port: Int
        let curl: String
        let jar: String
        /// Where the last answer's body is.
        let page: String
        let log: String

        /// Started as of `at`, once `/login` answers `readyStatus` (303 without users: the local editor goes in).
        init(binary: String, shop: BenchShop, at: String, readyStatus: Int) throws {
            guard let curl = which("curl") else { throw BenchError("curl not found: the console figures need it as their client") }
            self.curl = curl
            port = freePort()
            log = shop.folder.appendingPathComponent("console.log").path
            jar = shop.folder.appendingPathComponent("cookies").path
            page = shop.folder.appendingPathComponent("page.html").path
            child = try Child(binary, ["console", "--listen", "127.0.0.1:\(port)", "--at", at, "--config", shop.config.path], stdout: log, stderr: log)
            let deadline = Date().addingTimeInterval(30)
            while (try? fetch("/login").status) != readyStatus, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        }

        /// One request: status, seconds, bytes. A form is posted from the console's own page, as a browser names it (issue 24).
        func fetch(_ path: String, form: [String] = []) throws -> (status: Int, seconds: Double, bytes: Int) {
            var args = ["-s", "-o", page, "-c", jar, "-b", jar, "-w", "%{http_code} %{time_total} %{size_download}"]
            for field in form { args += ["--data-urlencode", field] }
            if !form.isEmpty { args += ["-H", "Origin: http://127.0.0.1:\(port)"] }
            let (exit, out, err) = try runToEnd(curl, args + ["http://127.0.0.1:\(port)/console" + path])
            guard exit.status == 0 else { throw BenchError("curl \(path): \(err)") }
            let f = out.split(separator: " ")
            return (Int(f[0]) ?? 0, Double(f[1]) ?? 0, Int(f[2]) ?? 0)
        }

        func stop() {
            child.signal(SIGKILL)
            _ = child.wait()
        }
    }

    static func hidden(_ page: String, _ name: String) -> String? {
        guard let r = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(page[r.upperBound...].prefix { $0 != "\"" })
    }

    /// The editor's text, as the browser would post it (HTML entities undone).
    static func textarea(_ page: String) -> String? {
        guard let open = page.range(of: "<textarea"), let start = page[open.upperBound...].range(of: ">"),
              let end = page[start.upperBound...].range(of: "</textarea>") else { return nil }
        return String(page[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
