import CarecronDomain
import Foundation

/// The marketers' console (`config.json` "console"): who may log in, with which role, and where
/// test messages may go.
public struct ConsoleSettings: Sendable {
    public enum Role: String, Sendable, CaseIterable {
        /// Sees everything, changes nothing.
        case viewer
        /// Also edits jobs, sends tests, retries and drops outbox messages.
        case editor
    }

    public struct User: Sendable {
        public var name: String
        public var role: Role
        /// A bcrypt hash (`carecron console passwd USER` prints one), written as is or kept
        /// outside config.json like any secret.
        public var passwordHash: PasswordHash

        public init(name: String, role: Role, passwordHash: PasswordHash) {
            self.name = name
            self.role = role
            self.passwordHash = passwordHash
        }
    }

    public enum PasswordHash: Sendable, Equatable {
        case literal(String)
        case secret(SecretRef)
    }

    public var users: [User] = []
    /// The only recipients a test send may go to (phone numbers as +84…, email addresses,
    /// Zalo user ids), compared after normalising phone numbers.
    public var testRecipients: [String] = []
    /// Test sends a user may make per minute.
    public var testSendsPerMinute = 5
    /// The console is reached over TLS (a proxy in front): the session cookie is `Secure`.
    public var behindTLS = false

    public init(users: [User] = [], testRecipients: [String] = [], testSendsPerMinute: Int = 5) {
        self.users = users
        self.testRecipients = testRecipients
        self.testSendsPerMinute = testSendsPerMinute
    }

    static func parse(_ f: Field) -> ConsoleSettings? {
        guard let o = f.object else { return nil }
        var settings = ConsoleSettings()
        if let u = o.optional("users")?.object {
            for name in u.keys {
                guard let entry = u.optional(name)?.object else { continue }
                let role = entry.required("role")?.oneOf(Role.self)
                let hash = entry.required("passwordHash").flatMap(parsePasswordHash)
                entry.finish()
                if let role, let hash { settings.users.append(User(name: name, role: role, passwordHash: hash)) }
            }
        }
        if let list = o.optional("testRecipients")?.array {
            for item in list {
                guard let text = item.nonEmptyString else { continue }
                if text.contains("@") || text.hasPrefix("zalo:") {
                    settings.testRecipients.append(text)
                } else if let phone = try? PhoneNumber(parsing: text) {
                    settings.testRecipients.append(phone.e164)
                } else {
                    item.report("\"\(text)\" is neither a Vietnamese phone number, an email address nor zalo:USER_ID")
                }
            }
        }
        if let r = o.optional("testSendsPerMinute") { settings.testSendsPerMinute = r.int(1...60) ?? settings.testSendsPerMinute }
        if let t = o.optional("behindTLS") { settings.behindTLS = t.bool ?? false }
        o.finish()
        return settings
    }

    /// A bcrypt hash as text ("$2b$12$…"), or a reference to one kept outside the file.
    static func parsePasswordHash(_ f: Field) -> PasswordHash? {
        if case .string(let s) = f.value {
            guard s.hasPrefix("$2a$") || s.hasPrefix("$2b$") || s.hasPrefix("$2y$"), s.count == 60 else {
                return f.fail("must be a bcrypt hash (\"$2b$…\", 60 characters): `carecron console passwd USER` prints one; a password itself is never written here")
            }
            return .literal(s)
        }
        return ConfigLoader.parseSecret(f).map(PasswordHash.secret)
    }
}
