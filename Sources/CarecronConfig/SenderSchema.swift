import CarecronDomain

/// What config.json may say of a sender of one type: the keys it takes, which of them are
/// secrets (never written into the file), and the channel it carries. Each sender type declares
/// its own (CarecronDelivery's `SenderPlugin`); the loader checks `senders` against them.
public struct SenderSchema: Sendable {
    public let type: String
    public let keys: [String]
    public let secrets: [String]
    public let channel: ChannelKind
    /// What a sender of this type needs set to hear delivery receipts (none: it never does).
    public let receiptsNeed: [String]

    /// The keys of a sender that sends over the network: how long a send may take, how many at
    /// once, how fast, how many tries.
    public static let limitKeys = ["timeout", "concurrency", "ratePerSecond", "maxAttempts"]

    public init(type: String, keys: [String], secrets: [String] = [], channel: ChannelKind = .sms, receiptsNeed: [String] = []) {
        self.type = type
        self.keys = keys
        self.secrets = secrets
        self.channel = channel
        self.receiptsNeed = receiptsNeed
    }
}

/// The sender types a configuration is checked against, by type.
public struct SenderCatalog: Sendable {
    public let schemas: [String: SenderSchema]

    public init(_ schemas: [SenderSchema]) {
        self.schemas = Dictionary(uniqueKeysWithValues: schemas.map { ($0.type, $0) })
    }

    public var types: [String] { schemas.keys.sorted() }
}
