import CarecronConfig
import CarecronDomain
import Foundation

/// Builds the senders config.json names, resolving their secrets.
public enum SenderFactory {
    /// Every sender of the configuration; a sender that cannot be built is reported, not fatal
    /// here: the service refuses to start if a channel needs it, and after a reload its messages
    /// wait (Dispatcher) while `/readyz` says why.
    public static func build(_ config: ShopConfig, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (senders: [String: any Sender], problems: [SenderProblem]) {
        var senders: [String: any Sender] = [:], problems: [SenderProblem] = []
        for (name, sc) in config.senders.sorted(by: { $0.key < $1.key }) {
            do { senders[name] = try build(sc, config: config, environment: environment) } catch {
                let e = error as? SenderSetupError
                problems.append(SenderProblem(sender: name, key: e?.key, reason: e?.description ?? "\(error)"))
            }
        }
        return (senders, problems)
    }

    /// A plain webhook sender, for benchmarks.
    public static func webhook(name: String, url: String, concurrency: Int) throws -> any Sender {
        WebhookSender(name: name, url: url, headers: [], body: nil, secret: nil, bearerToken: nil,
                      limits: SenderLimits(concurrency: concurrency))
    }

    /// What is wrong with the senders' settings, without resolving secrets (for `validate`).
    public static func settingProblems(_ config: ShopConfig) -> [String] {
        config.senders.sorted(by: { $0.key < $1.key }).compactMap { name, sc in
            do { _ = try build(sc, config: config, environment: [:], resolveSecrets: false); return nil } catch {
                return "senders.\(name): \(error)"
            }
        }
    }

    /// The channels' senders that cannot be built, as `FILE: senders.NAME.KEY: reason` lines:
    /// `run` refuses to start on them, with the lines `validate` prints as warnings.
    public static func channelProblems(_ config: ShopConfig, _ problems: [SenderProblem]) -> [String] {
        let used = Set(config.channels.values)
        return problems.filter { used.contains($0.sender) }.map { "\(config.file.lastPathComponent): \($0.line)" }
    }

    static func build(_ sc: SenderConfig, config: ShopConfig, environment: [String: String], resolveSecrets: Bool = true) throws -> any Sender {
        guard let plugin = SenderRegistry.plugin(sc.type) else { throw SenderSetupError("unknown sender type \(sc.type)") }
        let s = SenderSettings(sc.settings, name: sc.name)
        var secrets: [String: String] = [:]
        for (key, ref) in sc.secrets {
            if resolveSecrets {
                do { secrets[key] = try ref.resolve(relativeTo: config.folder, environment: environment) } catch {
                    throw SenderSetupError("\(error)", key: key)
                }
            } else {
                secrets[key] = "unresolved"
            }
        }
        let limits = SenderLimits(concurrency: try s.int("concurrency") ?? 8, ratePerSecond: try s.double("ratePerSecond"),
                                  maxAttempts: try s.int("maxAttempts") ?? 6, timeout: try s.double("timeout") ?? 15)
        return try plugin.make(s, SenderSetup(secrets: secrets, limits: limits, folder: config.folder, resolvesSecrets: resolveSecrets))
    }
}
