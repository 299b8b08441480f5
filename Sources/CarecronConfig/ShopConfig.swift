import CarecronDomain
import Foundation

/// Where a secret comes from: never the JSON itself (DOMAIN.md, issue 2).
public enum SecretRef: Sendable, Equatable {
    /// An environment variable.
    case env(String)
    /// A file holding the secret (trailing newline ignored), relative to config.json's folder.
    case file(String)
    /// A systemd credential (`LoadCredential=`), read from `$CREDENTIALS_DIRECTORY`.
    case credential(String)

    public struct Missing: CodedError, CustomStringConvertible {
        public var code: ErrorCode { .secretMissing }
        public let description: String
    }

    public func resolve(relativeTo base: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        switch self {
        case .env(let name):
            guard let v = environment[name], !v.isEmpty else { throw Missing(description: "environment variable \(name) is not set") }
            return v
        case .file(let path):
            return try Self.read(ConfigPaths.resolve(path, against: base))
        case .credential(let name):
            guard let dir = environment["CREDENTIALS_DIRECTORY"] else {
                throw Missing(description: "credential \(name): CREDENTIALS_DIRECTORY is not set (use LoadCredential= in the unit)")
            }
            let folder = URL(fileURLWithPath: dir)
            // The unit loads /etc/carecron/credentials whole: systemd names each file carecron_FILE.
            for candidate in [name, Self.folderPrefix + name] where FileManager.default.fileExists(atPath: folder.appendingPathComponent(candidate).path) {
                return try Self.read(folder.appendingPathComponent(candidate))
            }
            throw Missing(description: "credential \(name) is not loaded (no file /etc/carecron/credentials/\(name), or no LoadCredential= for it)")
        }
    }

    /// The id the shipped unit gives its credentials folder (`LoadCredential=carecron:/etc/carecron/credentials`).
    public static let folderPrefix = "carecron_"

    private static func read(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw Missing(description: "secret file \(url.path) cannot be read")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// One sender of config.json: its type and its settings, checked by type.
public struct SenderConfig: Sendable {
    public var name: String
    public var type: String
    public var settings: JSONValue
    public var secrets: [String: SecretRef]
    /// The channel a sender of this type carries (a test message is shaped for it).
    public var channel: ChannelKind
    /// Whether it is set up to hear delivery receipts (its type's `receiptsNeed` are all given).
    public var takesReceipts = false

    public init(name: String, type: String, settings: JSONValue, secrets: [String: SecretRef], channel: ChannelKind) {
        self.name = name
        self.type = type
        self.settings = settings
        self.secrets = secrets
        self.channel = channel
    }
}

/// config.json: the shop-wide settings.
public struct ShopConfig: Sendable {
    public var file: URL
    public var shop: ShopFacts
    public var clock: ShopClock
    /// The SQLite file (the embedded default); with PostgreSQL (`postgres`), where local files
    /// beside it would go.
    public var database: URL
    /// A shared PostgreSQL database instead of the SQLite file (issue 15).
    public var postgres: PostgresSettings? = nil
    public var jobsFolder: URL
    public var quietHours: DailySpan
    /// Hours in which advertising may go out (Decree 91/2020: 07:00–22:00).
    public var marketingHours: DailySpan
    /// Marketing messages per customer per 24 h.
    public var marketingDailyCap: Int
    public var holdFor: TimeSpan
    public var unknownHonorific: String
    public var tiers: [Tier]
    public var senders: [String: SenderConfig]
    public var channels: [ChannelKind: String]
    public var dryRun: Bool
    public var logLevel: String
    public var optOutLine: String
    /// First and longest wait between attempts of a message that failed for a passing reason.
    public var http: HTTPSettings?
    /// The marketers' console: users, roles, test recipients.
    public var console = ConsoleSettings()
    /// How the care team works through calls (`"calls"`).
    public var calls = CallPolicy()
    /// The care team's response times and windows (`"conversations"`).
    public var conversations = ConversationPolicy()
    public var retryBase: TimeSpan = .seconds(30)
    public var retryMax: TimeSpan = .hours(1)
    /// How long sent, cancelled and dead messages stay in the outbox (`outbox.keepFor`).
    public var outboxKeepFor = Self.defaultOutboxKeepFor
    public static let defaultOutboxKeepFor = TimeSpan.days(90)
    /// The currency of every amount (ISO 4217): an order in another is refused, never relabelled.
    public var currency = "VND"
    /// What one message costs on each channel, in the currency (SMS: per segment), for `campaign preview`.
    public var prices: [ChannelKind: Int] = [:]
    /// Customers' replies: the opt-out keywords and what is said back (`replies`).
    public var optOutKeywords = OptOutKeywords()
    public var optOutConfirmation = OptOutConfirmation()
    /// Surveys' links and follow-ups (`surveys`); nil: answers come by reply only.
    public var surveys: SurveySettings?
    /// The links' signer, its secret resolved when config.json was loaded; nil without one.
    public var surveyLinks: SurveyLinks?
    /// That secret, which signs the follow-up hook's calls too.
    public var surveySecret: String?

    public var folder: URL { file.deletingLastPathComponent() }

    public var messageContext: MessageContext {
        MessageContext(shop: shop, clock: clock, unknownHonorific: unknownHonorific, holdFor: holdFor, optOutLine: optOutLine)
    }

    public var policy: CarePolicy {
        var p = CarePolicy(clock: clock, quietHours: quietHours, marketingHours: marketingHours, marketingDailyCap: marketingDailyCap,
                           context: messageContext, tiers: tiers, holdFor: holdFor)
        p.surveyLinks = surveyLinks
        return p
    }
}

/// config.json's `surveys`: where customers' phones reach carecron's one-question pages, the
/// secret that signs their links, and who hears of a low score.
public struct SurveySettings: Sendable {
    public var linkBase: String
    public var secret: SecretRef
    /// Told of every low score (a signed JSON POST), besides the API and the console.
    public var followUpWebhook: URL?

    public init(linkBase: String, secret: SecretRef, followUpWebhook: URL? = nil) {
        self.linkBase = linkBase
        self.secret = secret
        self.followUpWebhook = followUpWebhook
    }
}

/// The HTTP API's settings: off when config.json has no "http".
public struct HTTPSettings: Sendable {
    public var host: String
    public var port: Int
    public var token: SecretRef
    /// The shared secret of Shopify/Haravan webhooks; off without it.
    public var webhookSecret: SecretRef?
    public var maxBodyBytes: Int
    /// The marketers' console under /console (on unless `"console": false`).
    public var console = true
    /// What a client may hold of the server: connections, and the time to send a request's head.
    public var limits = ConnectionLimits()
}

/// What one client may hold of an HTTP server (the service's, and `carecron console`'s): without
/// these, 20,000 connections sending half a request once took every file descriptor.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections open at once (`http.maxConnections`). At the cap, those waiting longest for
    /// a request are closed to make room, and the log says so.
    public var maxConnections = 256
    /// From a connection's start, or the end of its previous answer, to a complete request head
    /// (`http.headerTimeout`).
    public var headerTimeout = TimeSpan.seconds(10)
    /// Without a byte of request read or answer written (`http.idleTimeout`): a body sent a
    /// trickle at a time, a client gone silent.
    public var idleTimeout = TimeSpan.seconds(60)

    public init() {}
}

public enum ConfigPaths {
    /// A path from config.json: absolute as written, else relative to config.json's folder.
    public static func resolve(_ path: String, against folder: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path).standardizedFileURL
                            : folder.appendingPathComponent(path).standardizedFileURL
    }
}
