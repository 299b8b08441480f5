import CarecronDomain
import Foundation

/// Typed reads of a sender's settings, with errors that name the key.
public struct SenderSettings: Sendable {
    public let value: JSONValue
    /// The sender's name in config.json.
    public let name: String

    init(_ v: JSONValue, name: String) {
        value = v
        self.name = name
    }

    public func string(_ key: String) throws -> String? {
        guard let v = value[key], v != .null else { return nil }
        guard case .string(let s) = v else { throw SenderSetupError("\(key) must be a string") }
        return s
    }

    public func required(_ key: String) throws -> String {
        guard let s = try string(key), !s.isEmpty else { throw SenderSetupError("\(key) is required") }
        return s
    }

    public func url(_ key: String) throws -> String {
        let u = try required(key)
        guard let parsed = URL(string: u), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw SenderSetupError("\(key): \"\(u)\" is not an http(s) URL")
        }
        return u
    }

    public func double(_ key: String) throws -> Double? {
        guard let v = value[key], v != .null else { return nil }
        guard case .number(let d) = v, d >= 0 else { throw SenderSetupError("\(key) must be a positive number") }
        return d
    }

    public func int(_ key: String) throws -> Int? { try double(key).map { Int($0) } }

    public func bool(_ key: String) throws -> Bool? {
        guard let v = value[key], v != .null else { return nil }
        guard case .bool(let b) = v else { throw SenderSetupError("\(key) must be true or false") }
        return b
    }

    public func strings(_ key: String) throws -> [String]? {
        guard let v = value[key], v != .null else { return nil }
        guard case .array(let items) = v else { throw SenderSetupError("\(key) must be a list of strings") }
        return try items.map { guard case .string(let s) = $0 else { throw SenderSetupError("\(key) must be a list of strings") }; return s }
    }

    public func ints(_ key: String) throws -> [Int]? {
        guard let v = value[key], v != .null else { return nil }
        guard case .array(let items) = v else { throw SenderSetupError("\(key) must be a list of numbers") }
        return try items.map { guard case .number(let d) = $0 else { throw SenderSetupError("\(key) must be a list of numbers") }
            guard let n = Int(exactly: d), abs(n) < 1_000_000_000 else { throw SenderSetupError("\(key) must be a list of whole numbers, found \(d)") }
            return n
        }
    }

    public func headers() throws -> [(String, String)] {
        guard let v = value["headers"], v != .null else { return [] }
        guard case .object(let pairs) = v else { throw SenderSetupError("headers must be an object") }
        return try pairs.map { pair in
            guard case .string(let s) = pair.value else { throw SenderSetupError("headers.\(pair.key) must be a string") }
            return (pair.key, s)
        }
    }
}
