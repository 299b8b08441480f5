import CarecronDomain
import CarecronStorage
import Foundation

/// A message as a sender receives it: one rendering (channel, recipient, words) with the
/// outbox's identity of it (id, idempotency key, job, attempt).
public struct OutgoingMessage: Sendable {
    public var id: Int64
    public var idempotencyKey: String
    public var job: String
    public var customerId: String?
    public var orderIds: [String]
    public var rendering: Rendering
    public var attempt: Int
    /// A test of a template: Zalo ZNS's development mode, which delivers to the OA's
    /// administrators only (what `senders test --zalo-dev` asks for).
    public var development = false

    public var channel: String { rendering.channel }
    public var to: String { get { rendering.to } set { rendering.to = newValue } }
    public var subject: String? { rendering.subject }
    public var text: String { get { rendering.text } set { rendering.text = newValue } }
    public var params: [String: String] { rendering.params }
    public var templateId: String? { rendering.templateId }
    public var html: String? { rendering.html }

    public init(_ m: OutboxMessage) {
        id = m.id
        idempotencyKey = m.key
        job = m.job
        customerId = m.customerId
        orderIds = m.orderIds
        rendering = m.rendering
        attempt = m.attempts
    }

    public init(id: Int64, idempotencyKey: String, job: String, channel: String, to: String, subject: String? = nil,
                text: String, params: [String: String] = [:], templateId: String? = nil) {
        self.id = id
        self.idempotencyKey = idempotencyKey
        self.job = job
        customerId = nil
        orderIds = []
        rendering = Rendering(channel: channel, to: to, subject: subject, text: text, params: params, templateId: templateId)
        attempt = 1
    }

    /// The message as JSON, one flat object with sorted keys, for webhooks, files and exec plug-ins.
    public var json: Data {
        var fields: [(String, JSONValue)] = [
            ("attempt", .number(Double(attempt))), ("channel", .string(channel)), ("id", .number(Double(id))),
            ("idempotencyKey", .string(idempotencyKey)), ("job", .string(job)), ("orderIds", .array(orderIds.map(JSONValue.string))),
            ("params", .ordered(params.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })), ("text", .string(text)),
            ("to", .string(to)),
        ]
        if let customerId { fields.append(("customerId", .string(customerId))) }
        if let subject { fields.append(("subject", .string(subject))) }
        if let templateId { fields.append(("templateId", .string(templateId))) }
        return Data(JSONValue.ordered(fields.sorted { $0.0 < $1.0 }).encoded.utf8)
    }
}

/// What became of one attempt.
public enum SendOutcome: Sendable, Equatable {
    /// Accepted by the provider, with its id for the message if it gave one.
    case sent(providerId: String?)
    /// A transient failure (timeout before sending, 5xx, 429, quota): try again later, after
    /// `after` seconds if the provider said so.
    case retry(String, after: TimeInterval?)
    /// The request may have reached the provider and its answer was lost: retried with the
    /// same idempotency key.
    case unknown(String)
    /// This recipient cannot be reached on this channel (invalid phone, no Zalo account, 4xx):
    /// the next channel of the job, or dead.
    case rejected(String)
    /// The configuration is wrong (unapproved template, bad URL): dead, and an alert.
    case misconfigured(String)
    /// The sender itself must stop (an invalid access token): messages wait, ops are alerted.
    case stopSender(String)
}

extension SendOutcome: CustomStringConvertible {
    /// The outcome as a sentence: in English for `senders test` and the log, in the page's
    /// language for a console test send.
    public var sentence: Sentence {
        switch self {
        case .sent(let id): return id.map { Sentence("send.sent_id", ["id": .text($0)]) } ?? Sentence("send.sent")
        case .retry(let why, let after):
            return after.map { Sentence("send.retry_after", ["seconds": .number(Int($0.rounded(.up))), "why": .text(why)]) }
                ?? Sentence("send.retry", ["why": .text(why)])
        case .unknown(let why): return Sentence("send.unknown", ["why": .text(why)])
        case .rejected(let why): return Sentence("send.rejected", ["why": .text(why)])
        case .misconfigured(let why): return Sentence("send.misconfigured", ["why": .text(why)])
        case .stopSender(let why): return Sentence("send.stop_sender", ["why": .text(why)])
        }
    }

    public var description: String { sentence.description }
}

/// How much a sender may do at once.
public struct SenderLimits: Sendable {
    public var concurrency: Int
    public var ratePerSecond: Double?
    public var maxAttempts: Int
    public var timeout: TimeInterval

    public init(concurrency: Int = 8, ratePerSecond: Double? = nil, maxAttempts: Int = 6, timeout: TimeInterval = 15) {
        self.concurrency = concurrency
        self.ratePerSecond = ratePerSecond
        self.maxAttempts = maxAttempts
        self.timeout = timeout
    }
}

/// A channel plug-in: adding one touches no job.
public protocol Sender: Sendable {
    var name: String { get }
    var limits: SenderLimits { get }
    func send(_ message: OutgoingMessage) async -> SendOutcome
    func shutdown() async
}

extension Sender {
    public func shutdown() async {}
}

public struct SenderSetupError: CodedError, CustomStringConvertible {
    public var code: ErrorCode { .senderSetup }
    public let description: String
    /// The setting at fault, when it is a secret that cannot be resolved.
    public let key: String?
    public init(_ d: String, key: String? = nil) {
        description = d
        self.key = key
    }
}

/// A sender that cannot be built, and why: `senders.NAME.KEY: reason`.
public struct SenderProblem: Sendable, Equatable {
    public let sender: String
    public let key: String?
    public let reason: String

    public var line: String { "senders.\(sender)\(key.map { ".\($0)" } ?? ""): \(reason)" }
}
