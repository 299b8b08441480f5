import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

/// Survey answers on the shared database, as on SQLite; the unique key makes an answer arriving
/// at two nodes at once count once.
extension PostgresStore: SurveyStore {
    private static let answerColumns = "a.id, a.job, a.customer_id, a.order_id, a.measure, a.score, a.source, a.answered_at, c.full_name, c.phone"

    private typealias AnswerRow = (Int64, String, String, String, String, Int32, String, Int64, String?, String?)

    private static func answer(_ r: AnswerRow) -> SurveyAnswer? {
        guard let measure = SurveyMeasure(rawValue: r.4), let source = SurveyAnswer.Source(rawValue: r.6) else { return nil }
        return SurveyAnswer(id: r.0, job: r.1, customerId: r.2, orderId: r.3, measure: measure, score: Int(r.5), source: source,
                            answeredAt: Date(timeIntervalSince1970: TimeInterval(r.7)), customerName: r.8, phone: r.9)
    }

    private func answers(_ query: PostgresQuery) async throws -> [SurveyAnswer] {
        var out: [SurveyAnswer] = []
        for try await row in try await db.client.query(query, logger: logger).decode(AnswerRow.self) { Self.answer(row).map { out.append($0) } }
        return out
    }

    public func recordSurveyAnswer(_ a: SurveyAnswer) async throws -> SurveyAnswerOutcome {
        let inserted = try await db.client.query("""
            INSERT INTO survey_answers (job, customer_id, order_id, measure, score, source, answered_at, low)
            VALUES (\(a.job), \(a.customerId), \(a.orderId), \(a.measure.rawValue), \(Int32(a.score)), \(a.source.rawValue), \(Self.seconds(a.answeredAt)), \(a.isLow ? 1 : 0))
            ON CONFLICT (job, customer_id, order_id) DO NOTHING RETURNING id
            """, logger: logger)
        var id: Int64?
        for try await v in inserted.decode(Int64.self) { id = v }
        guard let stored = try await surveyAnswer(job: a.job, customerId: a.customerId, orderId: a.orderId) else { return .stored(a) }
        return id == nil ? .alreadyAnswered(stored) : .stored(stored)
    }

    public func openSurvey(customerId: String, jobs: [String], since: Date) async throws -> OpenSurvey? {
        let rows = try await db.client.query("""
            SELECT o.job, o.order_ids, o.sent_at FROM outbox o WHERE o.customer_id = \(customerId) AND o.sent_at >= \(Self.seconds(since)) AND o.job = ANY(\(jobs))
            ORDER BY o.sent_at DESC, o.id DESC LIMIT 1
            """, logger: logger)
        for try await (job, orderIds, sentAt) in rows.decode((String, String, Int64).self) {
            let orderId = orderIds.split(separator: ",").first.map(String.init) ?? ""
            guard try await surveyAnswer(job: job, customerId: customerId, orderId: orderId) == nil else { return nil }
            return OpenSurvey(job: job, orderId: orderId, sentAt: Date(timeIntervalSince1970: TimeInterval(sentAt)))
        }
        return nil
    }

    public func surveyAnswer(job: String, customerId: String, orderId: String) async throws -> SurveyAnswer? {
        try await answers("""
            SELECT \(unescaped: Self.answerColumns) FROM survey_answers a LEFT JOIN customers c ON c.id = a.customer_id
            WHERE a.job = \(job) AND a.customer_id = \(customerId) AND a.order_id = \(orderId)
            """).first
    }

    public func surveyAnswers(from: Date, to: Date) async throws -> [SurveyAnswer] {
        try await answers("""
            SELECT \(unescaped: Self.answerColumns) FROM survey_answers a LEFT JOIN customers c ON c.id = a.customer_id
            WHERE a.answered_at >= \(Self.seconds(from)) AND a.answered_at < \(Self.seconds(to)) ORDER BY a.answered_at, a.id
            """)
    }

    public func ratedMessage(sender: String, providerId: String) async throws -> SurveyLinks.Subject? {
        let rows = try await db.client.query("SELECT job, customer_id, order_ids FROM outbox WHERE sender = \(sender) AND provider_message_id = \(providerId)", logger: logger)
        for try await (job, customer, orderIds) in rows.decode((String, String?, String).self) {
            return SurveyLinks.Subject(job: job, customerId: customer ?? "", orderId: orderIds.split(separator: ",").first.map(String.init) ?? "")
        }
        return nil
    }

    public func lowScores(limit: Int) async throws -> [SurveyAnswer] {
        try await answers("""
            SELECT \(unescaped: Self.answerColumns) FROM survey_answers a LEFT JOIN customers c ON c.id = a.customer_id
            WHERE a.low = 1 ORDER BY a.answered_at DESC, a.id DESC LIMIT \(limit)
            """)
    }
}
