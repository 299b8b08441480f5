import CarecronConfig
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// The console's users with their password hashes resolved (secrets read once, at start).
public struct ConsoleUsers: Sendable {
    struct Account: Sendable {
        let role: ConsoleSettings.Role
        let hash: String
    }

    let accounts: [String: Account]
    /// Users whose hash could not be loaded, each as `console.users.NAME.passwordHash: why`.
    /// While there is one the console stays closed: serving it as if no user were configured
    /// would open it to anyone without a login.
    public let problems: [String]

    public init(_ settings: ConsoleSettings, relativeTo base: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let loaded = settings.loadHashes(relativeTo: base, environment: environment)
        accounts = loaded.hashes.mapValues { Account(role: $0.role, hash: $0.hash) }
        problems = loaded.unloadable.map(\.description)
    }

    /// No user is configured at all: the console is then for this machine only, without a login.
    public var isEmpty: Bool { accounts.isEmpty && problems.isEmpty }

    /// A configured user could not be loaded: the console must not be served.
    public var isClosed: Bool { !problems.isEmpty }

    /// The user's role if the password is theirs. Unknown users cost a hash too, so that the
    /// answer's timing does not say who exists. bcrypt takes a quarter of a second of CPU on
    /// purpose: it runs on NIO's thread pool, never on the threads that serve requests (40
    /// parallel logins once kept `/healthz` waiting 12 s).
    func verify(user: String, password: String) async throws -> ConsoleSettings.Role? {
        let account = accounts[user]
        return try await NIOThreadPool.singleton.runIfActive {
            guard let account else {
                _ = Bcrypt.verify(password, hash: Self.decoy)
                return nil
            }
            return Bcrypt.verify(password, hash: account.hash) ? account.role : nil
        }
    }

    /// A hash of nothing anyone types, for unknown users.
    private static let decoy = Bcrypt.hash(UUID().uuidString, cost: 12)
}
