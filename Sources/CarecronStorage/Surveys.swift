import CarecronDomain
import Foundation

/// A customer's answer to a survey (issue 28, item 4), by reply or through the survey page.
public struct SurveyAnswer: Sendable, Equatable {
    public enum Source: String, Sendable {
        /// A reply to the survey's message ("5 sao"), stored with the reply.
        case reply
        /// The signed one-question page (`/s/TOKEN`).
        case page
        /// A provider's rating of the message (Zalo's rating template).
        case rating
    }

    public var id: Int64
    public var job: String
    public var customerId: String
    /// The order asked about ("" for a survey on a cadence).
    public var orderId: String
    public var measure: SurveyMeasure
    public var score: Int
    public var source: Source
    public var answeredAt: Date
    /// Filled in by reads that join the customer (the console's and the API's follow-ups).
    public var customerName: String?
    public var phone: String?

    public init(id: Int64 = 0, job: String, customerId: String, orderId: String, measure: SurveyMeasure, score: Int, source: Source, answeredAt: Date,
                customerName: String? = nil, phone: String? = nil) {
        self.id = id
        self.job = job
        self.customerId = customerId
        self.orderId = orderId
        self.measure = measure
        self.score = score
        self.source = source
        self.answeredAt = answeredAt
        self.customerName = customerName
        self.phone = phone
    }

    /// The care team should call back (CSAT/CES 1–2, an NPS detractor).
    public var isLow: Bool { measure.isLow(score) }

    /// As the API and the follow-up webhook say it.
    public var json: JSONValue {
        .ordered([("id", .number(Double(id))), ("job", .string(job)), ("customer_id", .string(customerId)), ("customer_name", customerName.map(JSONValue.string) ?? .null),
                  ("phone", phone.map(JSONValue.string) ?? .null), ("order_id", orderId.isEmpty ? .null : .string(orderId)), ("measure", .string(measure.rawValue)),
                  ("score", .number(Double(score))), ("low", .bool(isLow)), ("source", .string(source.rawValue)),
                  ("answered_at", .string(ISO8601DateFormatter().string(from: answeredAt)))])
    }
}

public enum SurveyAnswerOutcome: Sendable, Equatable {
    case stored(SurveyAnswer)
    /// The survey was answered before (the link is single use): the first answer stands.
    case alreadyAnswered(SurveyAnswer)
}

/// A survey sent to a customer and not answered yet: what a reply's score answers.
public struct OpenSurvey: Sendable, Equatable {
    public let job: String
    public let orderId: String
    public let sentAt: Date

    public init(job: String, orderId: String, sentAt: Date) {
        self.job = job
        self.orderId = orderId
        self.sentAt = sentAt
    }
}

public protocol SurveyStore: Sendable {
    /// Stores the answer once per job, customer and order; a second is refused with the first.
    func recordSurveyAnswer(_ answer: SurveyAnswer) async throws -> SurveyAnswerOutcome
    /// The customer's latest survey of these jobs sent since `since` and not answered.
    func openSurvey(customerId: String, jobs: [String], since: Date) async throws -> OpenSurvey?
    /// The answer already given for this subject, if any.
    func surveyAnswer(job: String, customerId: String, orderId: String) async throws -> SurveyAnswer?
    /// Answers given in [from, to), oldest first.
    func surveyAnswers(from: Date, to: Date) async throws -> [SurveyAnswer]
    /// The latest low scores, newest first, with the customer's name and phone: the care team's call-backs.
    func lowScores(limit: Int) async throws -> [SurveyAnswer]
    /// The job, customer and first order of the message the sender knows by this id (a rated message).
    func ratedMessage(sender: String, providerId: String) async throws -> SurveyLinks.Subject?
}

/// A customer's rating of a message, as the provider reports it: the message by the provider's id.
public struct ProviderRating: Sendable, Equatable {
    public let sender: String
    public let providerId: String
    /// 1–5 stars.
    public let score: Int
    public let note: String?
    public let at: Date

    public init(sender: String, providerId: String, score: Int, note: String?, at: Date) {
        self.sender = sender
        self.providerId = providerId
        self.score = score
        self.note = note
        self.at = at
    }
}

/// A provider's star rating of a message (Zalo's rating template) as a CSAT answer of the
/// message's job: for a survey job, its own; for any other, the job whose message was rated.
public enum ProviderRatings {
    public static func answer(_ rating: ProviderRating, store: any SurveyStore) async throws -> SurveyAnswerOutcome? {
        guard let subject = try await store.ratedMessage(sender: rating.sender, providerId: rating.providerId), !subject.customerId.isEmpty else { return nil }
        return try await store.recordSurveyAnswer(SurveyAnswer(job: subject.job, customerId: subject.customerId, orderId: subject.orderId, measure: .csat,
                                                               score: rating.score, source: .rating, answeredAt: rating.at))
    }
}

/// How long after a survey was sent a reply may still answer it.
public enum SurveyReplies {
    public static let answerWindow = TimeSpan.days(7)

    /// The answer a customer's reply gives to their open survey, if it gives one.
    public static func answer(_ reply: StoredReply, jobs: [JobDefinition], store: any SurveyStore) async throws -> SurveyAnswerOutcome? {
        guard reply.optOut == nil, let customerId = reply.customerId else { return nil }
        let surveys = Dictionary(jobs.compactMap { j in (j.rules as? SurveyRules).map { (j.name, $0.measure) } }, uniquingKeysWith: { a, _ in a })
        guard !surveys.isEmpty,
              let open = try await store.openSurvey(customerId: customerId, jobs: surveys.keys.sorted(), since: reply.receivedAt.addingTimeInterval(-answerWindow.interval)),
              let measure = surveys[open.job], let score = measure.score(in: reply.text) else { return nil }
        return try await store.recordSurveyAnswer(SurveyAnswer(job: open.job, customerId: customerId, orderId: open.orderId, measure: measure, score: score,
                                                               source: .reply, answeredAt: reply.receivedAt))
    }
}
