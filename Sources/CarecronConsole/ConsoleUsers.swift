import CarecronConfig
import Foundation
import HummingbirdBcrypt

/// The console's users with their password hashes resolved (secrets read once, at start).
public struct ConsoleUsers: Sendable {
    struct Account: Sendable {
        let role: ConsoleSettings.Role
        let hash: String
    }

    let accounts: [String: Account]
    /// Users whose hash could not be read, with why: they cannot log in, and the log says so.
    public let problems: [String]

    public init(_ settings: ConsoleSettings, relativeTo base: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        var accounts: [String: Account] = [:], problems: [String] = []
        for user in settings.users {
            switch user.passwordHash {
            case .literal(let hash):
                accounts[user.name] = Account(role: user.role, hash: hash)
            case .secret(let ref):
                do { accounts[user.name] = Account(role: user.role, hash: try ref.resolve(relativeTo: base, environment: environment)) } catch {
                    problems.append("console.users.\(user.name).passwordHash: \(error)")
                }
            }
        }
        self.accounts = accounts
        self.problems = problems
    }

    public var isEmpty: Bool { accounts.isEmpty }

    /// The user's role if the password is theirs. Unknown users cost a hash too, so that the
    /// answer's timing does not say who exists.
    func verify(user: String, password: String) -> ConsoleSettings.Role? {
        guard let account = accounts[user] else {
            _ = Bcrypt.verify(password, hash: Self.decoy)
            return nil
        }
        return Bcrypt.verify(password, hash: account.hash) ? account.role : nil
    }

    /// A hash of nothing anyone types, for unknown users.
    private static let decoy = Bcrypt.hash(UUID().uuidString, cost: 12)
}
