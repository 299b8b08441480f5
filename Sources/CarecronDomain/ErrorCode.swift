/// Every kind of error a person can meet, by a stable code: the API, the logs and the console
/// map these (to a status, a page, a help text); the messages stay sentences for people.
public enum ErrorCode: String, Sendable, CaseIterable {
    case invalidField = "invalid_field"
    case importRefused = "import_refused"
    case storeUnavailable = "store_unavailable"
    case databaseDamaged = "database_damaged"
    case senderSetup = "sender_setup"
    case secretMissing = "secret_missing"
    case templateInvalid = "template_invalid"
    case notFound = "not_found"
    case conflict = "conflict"
    case startRefused = "start_refused"
    case unauthorized = "unauthorized"
    case badRequest = "bad_request"
}

/// An error that says which kind it is.
public protocol CodedError: Error {
    var code: ErrorCode { get }
}
