import CarecronDomain
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The console's pages: Mustache templates and the words of each language, read from the
/// package's resources once.
public struct Views: Sendable {
    let library: MustacheLibrary
    let words: [Language: [String: String]]
    let stylesheet: String
    let script: String

    public typealias Language = CarecronDomain.Language

    public static func load() throws -> Views {
        guard let resources = Bundle.module.url(forResource: "Resources", withExtension: nil) else {
            throw ConsoleError("the console's resources are missing from this build")
        }
        var library = MustacheLibrary()
        let templates = resources.appendingPathComponent("templates")
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        var words: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let data = try Data(contentsOf: resources.appendingPathComponent("words/\(language.rawValue).json"))
            words[language] = try JSONDecoder().decode([String: String].self, from: data)
        }
        let css = try String(contentsOf: resources.appendingPathComponent("static/console.css"), encoding: .utf8)
        let js = try String(contentsOf: resources.appendingPathComponent("static/console.js"), encoding: .utf8)
        return Views(library: library, words: words, stylesheet: css, script: js)
    }

    func scheduleWords(_ language: Language) -> ScheduleWords { ScheduleWords(words: words[language] ?? [:], language: language) }

    /// `?lang=en` first, then the browser's `Accept-Language`; Vietnamese otherwise.
    static func language(_ request: Request) -> Language {
        if let asked = request.uri.queryParameters.get("lang"), let l = Language(rawValue: asked) { return l }
        let accept = request.headers[.acceptLanguage] ?? ""
        let first = accept.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return first.hasPrefix("en") ? .en : .vi
    }

    /// A whole page: the template with its model, the words of the language, the user and the
    /// CSRF token.
    func page(_ template: String, _ model: some PageModel, language: Language, session: ConsoleSession?,
              status: HTTPResponse.Status = .ok) -> Response {
        let frame = PageFrame(model: model, t: words[language] ?? [:], lang: language.rawValue, session: session)
        let html = library.render(frame, withTemplate: template) ?? "template \(template) is missing"
        var response = Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: html)))
        Self.secure(&response.headers)
        return response
    }

    /// A refusal page that says the one thing that happened, in a sentence of the page's language.
    func refusal(_ reason: String, _ values: [String: String] = [:], title: String = "refused_title", language: Language,
                 session: ConsoleSession? = nil, status: HTTPResponse.Status) -> Response {
        let words = scheduleWords(language)
        return page("refused", RefusalModel(title: words.word(title), reason: words.word(reason, values)), language: language, session: session,
                    status: status)
    }

    func asset(_ text: String, type: String) -> Response {
        var r = Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
        Self.secure(&r.headers)
        return r
    }

    /// No script but the console's own, no framing, no content sniffing.
    static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "same-origin"
        headers[.cacheControl] = "no-store"
    }
}

struct ConsoleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
