import CarecronDelivery
import CarecronDomain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Who made a request, once a middleware has checked it: the API's bearer token today, a
/// console user next.
public enum Caller: Sendable, Equatable {
    case apiToken
}

/// The request context of every route: Hummingbird's core, the authenticated caller, and JSON
/// written with sorted keys (the bodies clients have seen since the API began).
public struct APIRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?
    /// The client's address: the console counts failed logins per address.
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        caller = nil
        remoteAddress = source.channel.remoteAddress
    }

    public var responseEncoder: JSONEncoder { Self.encoder }
}

/// Every refusal of the API: its status and `{"error", "field", "reason"}`, thrown from any route
/// and rendered by Hummingbird.
public struct APIError: HTTPResponseError, CodedError, Sendable {
    public let status: HTTPResponse.Status
    public let field: String
    public let reason: String
    /// What kind of refusal it is, for clients that map kinds rather than statuses.
    public let code: ErrorCode

    public init(_ status: HTTPResponse.Status, field: String, _ reason: String, code: ErrorCode? = nil) {
        self.status = status
        self.field = field
        self.reason = reason
        self.code = code ?? Self.code(for: status)
    }

    static func code(for status: HTTPResponse.Status) -> ErrorCode {
        switch status {
        case .unauthorized: return .unauthorized
        case .notFound: return .notFound
        case .conflict: return .conflict
        case .serviceUnavailable: return .storeUnavailable
        default: return .badRequest
        }
    }

    struct Body: Encodable {
        let error: String
        let field: String
        let reason: String
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: status.reasonPhrase.lowercased(), field: field, reason: reason)
        return try APIRequestContext.encoder.encode(body, from: request, context: context).with(status: status)
    }
}

/// A body with a status other than 200 (201 created, 503 not ready).
struct WithStatus<Body: ResponseEncodable>: ResponseGenerator {
    let status: HTTPResponse.Status
    let body: Body

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try body.response(from: request, context: context).with(status: status)
    }
}

extension APIRequestContext {
    /// Sorted keys, for the routes' bodies and the errors made outside a route's context.
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

extension Response {
    func with(status: HTTPResponse.Status) -> Response {
        var r = self
        r.status = status
        return r
    }
}

/// Every refusal a JSON error with a reason, also those Hummingbird makes itself (no such
/// route, a body over the limit): clients should never have to guess from an empty 404.
struct ErrorsAsJSON: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as HTTPError {
            let reason = e.body ?? (e.status == .notFound ? "no such route: \(request.method) \(request.uri.path)" : e.status.reasonPhrase)
            throw APIError(e.status, field: e.status == .notFound ? "path" : "request", reason)
        } catch let e as any HTTPResponseError where !(e is APIError) {
            // A body over the limit (NIO's too-many-bytes error) and the like.
            let reason = e.status == .contentTooLarge ? "the body is larger than http.maxBodyBytes allows" : e.status.reasonPhrase
            throw APIError(e.status, field: "request", reason)
        }
    }
}

/// `Authorization: Bearer <token>`, compared in constant time; the caller is then known.
struct BearerAuth: RouterMiddleware {
    typealias Context = APIRequestContext
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        guard !token.isEmpty, ConstantTime.equal(given, token) else {
            throw APIError(.unauthorized, field: "Authorization", "a bearer token is required (Authorization: Bearer …)")
        }
        var context = context
        context.caller = .apiToken
        return try await next(request, context)
    }
}

extension APIRequestContext {
    /// A path parameter as the client meant it: `/v1/customers/KH%2001` is customer `KH 01`.
    /// Hummingbird hands parameters over as they stand in the URL, still percent-encoded.
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        guard let decoded = raw.removingPercentEncoding, !decoded.isEmpty else {
            throw APIError(.badRequest, field: name, "\"\(raw)\" is not a valid percent-encoded \(name) (RFC 3986, UTF-8)")
        }
        return decoded
    }
}
