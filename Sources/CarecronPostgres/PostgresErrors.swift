import Foundation
import PostgresNIO

/// PostgreSQL's errors as one line for ops: the server's own message (with its SQLSTATE), or
/// what went wrong with the connection. postgres-nio hides both behind a generic description, so
/// that they do not reach end users by accident; these lines go to the operator's terminal and log.
public enum PostgresErrors {
    public static func sentence(_ error: any Error) -> String {
        guard let e = error as? PSQLError else { return "\(error)" }
        if let info = e.serverInfo, let message = info[.message] {
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            let detail = info[.detail].map { ": \($0)" } ?? ""
            return "\(message)\(detail)\(state)"
        }
        switch e.code {
        case .connectionError:
            return "cannot connect\(e.underlying.map { ": \($0)" } ?? "") (is the server running, and the host, port or socket right?)"
        case .serverClosedConnection, .clientClosedConnection:
            return "the connection was closed\(e.underlying.map { ": \($0)" } ?? "")"
        case .authMechanismRequiresPassword:
            return "the server asks for a password: give \"password\" as a secret reference (env, file or systemd credential)"
        case .sslUnsupported:
            return "the server does not offer TLS, and \"tls\" is \"require\""
        case .poolClosed:
            return "the connection pool is closed (carecron is stopping)"
        default:
            return "\(e.code)\(e.underlying.map { ": \($0)" } ?? "")"
        }
    }
}
