import CarecronDomain
import Foundation

/// The marketers' console (`config.json` "console"): who may log in, with which role, and where
/// test messages may go.
public struct ConsoleSettings: Sendable {
    public enum Role: String, Sendable, CaseIterable, Codable {
        /// Sees everything, changes nothing.
        case viewer
        /// Also edits jobs, sends tests, retries and drops outbox messages.
        case editor
        /// Of the care team: calls customers and answers their replies (*Cuộc gọi hôm nay*,
        /// *Tin khách trả lời*), looks customers up; changes no job.
        case agent
    }

    public struct User: Sendable {
        public var name: String
        public var role: Role
        /// A bcrypt hash (`carecron console passwd USER` prints one), written as is or kept
        /// outside config.json like any secret.
        public var passwordHash: PasswordHash
        /// An agent's name as orders and pages show it, working hours and days (agents only).
        public var displayName: String?
        public var hours: DailySpan?
        public var days: Set<Int>?

        public init(name: String, role: Role, passwordHash: PasswordHash) {
            self.name = name
            self.role = role
            self.passwordHash = passwordHash
        }

        /// The person as the care team's rules see them; nil unless an agent.
        public var agent: Agent? {
            guard role == .agent else { return nil }
            return Agent(login: name, displayName: displayName, hours: hours ?? ConsoleSettings.usualHours, days: days ?? Agent.usualDays)
        }
    }

    /// An agent's hours when config.json does not say.
    public static let usualHours = DailySpan(from: TimeOfDay(hour: 8), to: TimeOfDay(hour: 17))

    /// The week's days as config.json names them ("mon" … "sun"), 0 = Sunday.
    public static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// The care team: every user with the role `agent`.
    public var roster: AgentRoster { AgentRoster(users.compactMap(\.agent)) }

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
    /// Names the console answers to besides its listen address's own (127.0.0.1, localhost,
    /// ::1 and the configured host): those a reverse proxy forwards, as the browser shows them
    /// ("console.hoasen.vn", "console.hoasen.vn:8443"). Any other `Host` is refused, so that a
    /// site whose name was pointed at this machine (DNS rebinding) cannot reach the console.
    public var allowedHosts: [String] = []

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
                let displayName = entry.optional("displayName")?.nonEmptyString
                let hours = entry.optional("hours")?.dailySpan
                let days = entry.optional("days").flatMap(parseDays)
                if role != .agent {
                    for key in ["displayName", "hours", "days"] { entry.optional(key)?.report(Sentence("check.agent_only", ["key": .text(key)])) }
                }
                entry.finish()
                if let role, let hash {
                    var user = User(name: name, role: role, passwordHash: hash)
                    user.displayName = displayName
                    user.hours = hours
                    user.days = days
                    settings.users.append(user)
                }
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
        if let list = o.optional("allowedHosts")?.array {
            for item in list {
                guard let text = item.nonEmptyString else { continue }
                guard let host = HostName(text) else {
                    item.report("\"\(text)\" must be a host name with an optional port, as the browser shows it (e.g. \"console.hoasen.vn\" or \"console.hoasen.vn:8443\"): no scheme, no path")
                    continue
                }
                settings.allowedHosts.append(host.description)
            }
        }
        o.finish()
        return settings
    }

    /// `"days": ["mon", "tue", …]`: an agent's working days.
    static func parseDays(_ f: Field) -> Set<Int>? {
        guard let list = f.array else { return nil }
        var days: Set<Int> = []
        for item in list {
            guard let name = item.nonEmptyString else { continue }
            guard let day = dayNames.firstIndex(of: name.lowercased()) else {
                item.report(Sentence("check.agent_day", ["value": .text(name)]))
                continue
            }
            days.insert(day)
        }
        guard !days.isEmpty else { return f.fail(Sentence("check.agent_no_day")) }
        return days
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

extension ConsoleSettings {
    /// A user whose password hash cannot be had: the console stays closed while there is one,
    /// rather than open to anyone as if no user were configured.
    public struct UnloadableUser: Sendable, CustomStringConvertible {
        public let user: String
        public let reason: String
        /// The field of config.json to fix.
        public var path: String { "console.users.\(user).passwordHash" }
        public var description: String { "\(path): \(reason)" }
    }

    /// Every user's bcrypt hash, read from wherever config.json keeps it (a secret is read once,
    /// here), and the users whose hash cannot be read or is not a bcrypt hash.
    public func loadHashes(relativeTo base: URL, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (hashes: [String: (role: Role, hash: String)], unloadable: [UnloadableUser]) {
        var hashes: [String: (role: Role, hash: String)] = [:], unloadable: [UnloadableUser] = []
        for user in users.sorted(by: { $0.name < $1.name }) {
            switch user.passwordHash {
            case .literal(let hash):
                hashes[user.name] = (user.role, hash)
            case .secret(let ref):
                do {
                    let hash = try ref.resolve(relativeTo: base, environment: environment)
                    guard Self.isBcryptHash(hash) else {
                        unloadable.append(UnloadableUser(user: user.name, reason: "the secret is not a bcrypt hash (\"$2b$…\", 60 characters): `carecron console passwd \(user.name)` prints one"))
                        continue
                    }
                    hashes[user.name] = (user.role, hash)
                } catch {
                    unloadable.append(UnloadableUser(user: user.name, reason: "\(error)"))
                }
            }
        }
        return (hashes, unloadable)
    }

    static func isBcryptHash(_ s: String) -> Bool {
        (s.hasPrefix("$2a$") || s.hasPrefix("$2b$") || s.hasPrefix("$2y$")) && s.count == 60
    }
}

/// A host name or IP address with an optional port, as it appears in a `Host` header or an
/// origin ("console.hoasen.vn", "127.0.0.1:8081", "[::1]:8081"); names compare without case.
public struct HostName: Sendable, Hashable, CustomStringConvertible {
    /// Lowercased, an IPv6 address without its brackets.
    public let name: String
    public let port: Int?

    public init(name: String, port: Int?) {
        self.name = name.lowercased()
        self.port = port
    }

    public init?(_ text: String) {
        var rest = Substring(text)
        let name: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            name = rest[rest.index(after: rest.startIndex)..<close]
            guard !name.isEmpty, name.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
            rest = rest[rest.index(after: close)...]
        } else {
            let colon = rest.firstIndex(of: ":") ?? rest.endIndex
            name = rest[..<colon]
            guard !name.isEmpty, name.count <= 253,
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else { return nil }
            rest = rest[colon...]
        }
        var port: Int?
        if !rest.isEmpty {
            guard rest.first == ":", let p = Int(rest.dropFirst()), (1...65535).contains(p), rest.dropFirst().allSatisfy(\.isNumber) else { return nil }
            port = p
        }
        self.init(name: String(name), port: port)
    }

    public var isIPv6: Bool { name.contains(":") }

    /// An IP address rather than a name: no DNS answer stands behind it, so no other site can
    /// be served under it.
    public var isIPAddress: Bool {
        if isIPv6 { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isNumber) && Int(p)! <= 255 }
    }

    public var description: String {
        let host = isIPv6 ? "[\(name)]" : name
        return port.map { "\(host):\($0)" } ?? host
    }
}
