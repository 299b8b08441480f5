import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// Survey answers on SQLite (issue 28, item 4).
enum SurveyAnswerRecords {
    static let migration = """
        CREATE TABLE survey_answers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job TEXT NOT NULL,
            -- erased with the customer
            customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            order_id TEXT NOT NULL DEFAULT '',
            measure TEXT NOT NULL CHECK (measure IN ('csat', 'ces', 'nps')),
            score INTEGER NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('reply', 'page', 'rating')),
            answered_at INTEGER NOT NULL,
            low INTEGER NOT NULL,
            -- a survey is answered once: a link is single use, a second reply changes nothing
            UNIQUE (job, customer_id, order_id)
        );
        CREATE INDEX survey_answers_at ON survey_answers(answered_at);
        CREATE INDEX survey_answers_low ON survey_answers(answered_at) WHERE low = 1;
        """

    static let columns = "a.id, a.job, a.customer_id, a.order_id, a.measure, a.score, a.source, a.answered_at, c.full_name, c.phone"

    static func answer(_ r: Row) -> SurveyAnswer? {
        guard let measure = SurveyMeasure(rawValue: r[4]), let source = SurveyAnswer.Source(rawValue: r[6]) else { return nil }
        return SurveyAnswer(id: r[0], job: r[1], customerId: r[2], orderId: r[3], measure: measure, score: r[5], source: source,
                            answeredAt: Date(timeIntervalSince1970: TimeInterval(r[7] as Int64)), customerName: r[8], phone: r[9])
    }

    static func find(_ db: Database, job: String, customerId: String, orderId: String) throws -> SurveyAnswer? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM survey_answers a LEFT JOIN customers c ON c.id = a.customer_id WHERE a.job = ? AND a.customer_id = ? AND a.order_id = ?",
                         arguments: [job, customerId, orderId]).flatMap(answer)
    }
}

extension Store: SurveyStore {
    public func recordSurveyAnswer(_ a: SurveyAnswer) async throws -> SurveyAnswerOutcome {
        try await db.write { db in
            if let first = try SurveyAnswerRecords.find(db, job: a.job, customerId: a.customerId, orderId: a.orderId) { return .alreadyAnswered(first) }
            try db.execute(sql: """
                INSERT INTO survey_answers (job, customer_id, order_id, measure, score, source, answered_at, low) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [a.job, a.customerId, a.orderId, a.measure.rawValue, a.score, a.source.rawValue, Int64(a.answeredAt.timeIntervalSince1970), a.isLow])
            return .stored(try SurveyAnswerRecords.find(db, job: a.job, customerId: a.customerId, orderId: a.orderId) ?? a)
        }
    }

    public func openSurvey(customerId: String, jobs: [String], since: Date) async throws -> OpenSurvey? {
        try await db.read { db in
            // The customer's sent messages since then, newest first (outbox_customer_sent), of the survey jobs.
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.job, o.order_ids, o.sent_at FROM outbox o WHERE o.customer_id = ? AND o.sent_at >= ? AND o.job IN (\(jobs.map { _ in "?" }.joined(separator: ",")))
                ORDER BY o.sent_at DESC, o.id DESC LIMIT 1
                """, arguments: StatementArguments([customerId, Int64(since.timeIntervalSince1970)] as [any DatabaseValueConvertible]) + StatementArguments(jobs))
            guard let r = rows.first else { return nil }
            let job: String = r[0], orderIds: String = r[1]
            let orderId = orderIds.split(separator: ",").first.map(String.init) ?? ""
            guard try SurveyAnswerRecords.find(db, job: job, customerId: customerId, orderId: orderId) == nil else { return nil }
            return OpenSurvey(job: job, orderId: orderId, sentAt: Date(timeIntervalSince1970: TimeInterval(r[2] as Int64)))
        }
    }

    public func surveyAnswer(job: String, customerId: String, orderId: String) async throws -> SurveyAnswer? {
        try await db.read { try SurveyAnswerRecords.find($0, job: job, customerId: customerId, orderId: orderId) }
    }

    public func surveyAnswers(from: Date, to: Date) async throws -> [SurveyAnswer] {
        try await db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(SurveyAnswerRecords.columns) FROM survey_answers a LEFT JOIN customers c ON c.id = a.customer_id
                WHERE a.answered_at >= ? AND a.answered_at < ? ORDER BY a.answered_at, a.id
                """, arguments: [Int64(from.timeIntervalSince1970), Int64(to.timeIntervalSince1970)]).compactMap(SurveyAnswerRecords.answer)
        }
    }

    public func ratedMessage(sender: String, providerId: String) async throws -> SurveyLinks.Subject? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT job, customer_id, order_ids FROM outbox WHERE sender = ? AND provider_message_id = ?", arguments: [sender, providerId]).map { r in
                SurveyLinks.Subject(job: r[0], customerId: r[1] ?? "", orderId: (r[2] as String).split(separator: ",").first.map(String.init) ?? "")
            }
        }
    }

    public func lowScores(limit: Int) async throws -> [SurveyAnswer] {
        try await db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(SurveyAnswerRecords.columns) FROM survey_answers a LEFT JOIN customers c ON c.id = a.customer_id
                WHERE a.low = 1 ORDER BY a.answered_at DESC, a.id DESC LIMIT ?
                """, arguments: [limit]).compactMap(SurveyAnswerRecords.answer)
        }
    }
}
