import CarecronConfig
import Foundation

/// A type of sender: the keys config.json may give it (`schema`, which `validate` and every
/// load check), and how one is built from them. A new sender is a file in this folder with its
/// `Sender` and its plug-in, and one line in `SenderRegistry.plugins`.
protocol SenderPlugin: Sendable {
    static var schema: SenderSchema { get }
    /// Builds the sender, or throws `SenderSetupError` naming the key at fault. With
    /// `setup.resolvesSecrets` false (`validate`), secrets are placeholders and nothing is
    /// created outside the process.
    static func make(_ settings: SenderSettings, _ setup: SenderSetup) throws -> any Sender
}

/// What every sender is built with besides its own settings.
struct SenderSetup {
    /// The secrets config.json refers to, resolved (or placeholders when only checking).
    var secrets: [String: String]
    /// Concurrency, rate, attempts and timeout, read the same way for every type.
    var limits: SenderLimits
    /// config.json's folder, which relative paths start from.
    var folder: URL
    var resolvesSecrets: Bool
}

/// Every sender type carecron knows.
public enum SenderRegistry {
    static let plugins: [any SenderPlugin.Type] = [
        ConsolePlugin.self, FilePlugin.self, ExecPlugin.self, WebhookPlugin.self, SMSHTTPPlugin.self, ZaloZNSPlugin.self, SMTPPlugin.self,
    ]

    /// The types config.json may name, with their keys: what the configuration is checked against.
    public static let catalog = SenderCatalog(plugins.map { $0.schema })

    static func plugin(_ type: String) -> (any SenderPlugin.Type)? { plugins.first { $0.schema.type == type } }
}

extension ConfigLoader {
    /// Reads and checks config.json and every job file, its senders against the types carecron knows.
    public static func load(_ file: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> LoadedConfiguration {
        load(file, senders: SenderRegistry.catalog, environment: environment)
    }
}
