import CarecronDomain
import Foundation

/// Every secret config.json refers to that cannot be resolved in an environment: `validate`
/// warns with these (a marketer's laptop has no production secrets), `run` refuses to start on
/// those its channels and API need. A console user's hash is the exception: see `consoleUsers`.
public enum SecretCheck {
    public static func unresolved(_ config: ShopConfig, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> [Diagnostic] {
        var refs: [(path: String, ref: SecretRef)] = []
        for (name, sender) in config.senders.sorted(by: { $0.key < $1.key }) {
            for (key, ref) in sender.secrets.sorted(by: { $0.key < $1.key }) { refs.append(("senders.\(name).\(key)", ref)) }
        }
        if let http = config.http {
            refs.append(("http.token", http.token))
            if let w = http.webhookSecret { refs.append(("http.webhookSecret", w)) }
        }
        if let surveys = config.surveys { refs.append(("surveys.secret", surveys.secret)) }
        return refs.compactMap { path, ref in
            do { _ = try ref.resolve(relativeTo: config.folder, environment: environment); return nil } catch {
                return Diagnostic(file: config.file.lastPathComponent, path: path, message: "\(error)", severity: .warning)
            }
        }
    }

    /// The console users whose password hash cannot be loaded here: errors, not warnings,
    /// because the console then stays closed (it must never fall back to serving without a login).
    public static func consoleUsers(_ config: ShopConfig, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> [Diagnostic] {
        config.console.loadHashes(relativeTo: config.folder, environment: environment).unloadable.map { u in
            Diagnostic(file: config.file.lastPathComponent, path: u.path,
                       message: "\(u.reason); the console stays closed until every user can be loaded", severity: .error)
        }
    }
}
