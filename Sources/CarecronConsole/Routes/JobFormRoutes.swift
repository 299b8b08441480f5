import CarecronConfig
import CarecronDomain
import Foundation
import HTTPTypes
import Hummingbird

/// A job in a form: shown (any signed-in user), checked as one types (the fragment), saved
/// (editors) through the same compare-and-swap, history and reload as the JSON editor.
struct JobFormRoutes<Parent: RequestContext> {
    let console: Console
    var environment: ConsoleEnvironment { console.environment }
    var views: Views { console.views }

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        routes.get("jobs/:name/form") { request, context in
            let name = try context.parameters.require("name")
            guard let (original, json) = await read(name) else { return try await advanced(name, request, context) }
            var model = try await page(request).model(name: name, original: original, edited: json, json: json,
                                                      base: JobFiles.fingerprint(original), now: environment.clock.now())
            let parameters = Console.parameters(request)
            if parameters["saved"] != nil { model.saved = true }
            if parameters["unchanged"] != nil { model.unchanged = true }
            return views.page("form", model, language: Views.language(request), session: try context.signedIn)
        }
        // An earlier version beside the current file, before restoring it.
        routes.get("jobs/:name/history/:file") { request, context in
            let name = try context.parameters.require("name"), file = try context.parameters.require("file")
            let (config, _) = await environment.current()
            let language = Views.language(request), session = try context.signedIn
            let files = JobFiles(folder: config.jobsFolder)
            guard JobFiles.isValidName(name), let version = files.version(name, file: file), let current = files.read(name),
                  let meta = files.history(name).first(where: { $0.file == file }) else {
                return console.notFound(file, language, session)
            }
            let lines = HistoryPage.lines(current: current, version: version)
            let model = HistoryPage.Model(name: name, file: file, at: views.scheduleWords(language).instant(meta.at, clock: config.clock),
                                          user: meta.user, lines: lines, changes: lines.filter { $0.kind == "added" || $0.kind == "removed" }.count,
                                          identical: version == current)
            return views.page("history", model, language: language, session: session)
        }
        routes.add(middleware: PostedForm<Parent>(views: views))
        routes.post("jobs/:name/form/check") { request, context in
            let name = try context.parameters.require("name")
            guard let (original, json) = await read(name) else { return try await advanced(name, request, context) }
            let form = JobForm(json: json)
            // A variant added or removed on the page: shown at once, written only by "Lưu".
            let changing = context.form["variant"].map { form.changingVariants($0, form: context.form) }
            let edited = changing?.json ?? form.applying(context.form)
            var model = try await page(request).model(name: name, original: original, edited: edited, json: json,
                                                      base: context.form["base"] ?? "", now: environment.clock.now(),
                                                      order: changing?.order ?? JobForm.order(context.form["variants"]))
            if changing != nil { model.variantsChanged = true }
            let fragment = Console.parameters(request)["fragment"] != nil
            let status: HTTPResponse.Status = model.results.valid ? .ok : .unprocessableContent
            return fragment ? views.page("form-results", model.results, language: Views.language(request), session: try context.signedIn, status: status)
                            : views.page("form", model, language: Views.language(request), session: try context.signedIn, status: status)
        }
        routes.add(middleware: EditorsOnly<Parent>(views: views))
        routes.post("jobs/:name/form/save") { request, context in
            let name = try context.parameters.require("name")
            guard let (original, json) = await read(name) else { return try await advanced(name, request, context) }
            let edited = JobForm(json: json).applying(context.form)
            let text = JobForm.text(original: original, json: json, edited: edited)
            let language = Views.language(request)
            // Nothing changed: nothing is written, nothing goes to the audit log.
            guard text != original else { return Response.redirect(to: "/console/jobs/\(name)/form?unchanged=1&lang=\(language.rawValue)") }
            let (config, _) = await environment.current()
            guard JobLoader.check(text: text, name: name, config: config).job != nil else {
                var model = try await page(request).model(name: name, original: original, edited: edited, json: json,
                                                          base: context.form["base"] ?? "", now: environment.clock.now(),
                                                          order: JobForm.order(context.form["variants"]))
                model.invalid = true
                return views.page("form", model, language: language, session: try context.signedIn, status: .unprocessableContent)
            }
            return try await JobsRoutes<Parent>(console: console).save(request, context, text: text, base: context.form["base"] ?? "",
                                                                      action: "save", page: "form")
        }
        return routes
    }

    func page(_ request: Request) async throws -> FormPage {
        let (config, jobs) = await environment.current()
        return FormPage(editor: JobsRoutes<Parent>(console: console).editor(config, jobs, Views.language(request)))
    }

    /// The file's text and its JSON; nil when it is not JSON (only the JSON editor can mend it).
    func read(_ name: String) async -> (String, JSONValue)? {
        guard JobFiles.isValidName(name) else { return nil }
        let (config, _) = await environment.current()
        guard let text = JobFiles(folder: config.jobsFolder).read(name), let json = try? JSONReader.parse(Data(text.utf8)) else { return nil }
        return (text, json)
    }

    /// A file the form cannot show (missing, or not JSON): the JSON editor says why.
    func advanced(_ name: String, _ request: Request, _ context: ConsoleContext<Parent>) async throws -> Response {
        let (config, _) = await environment.current()
        guard JobFiles.isValidName(name), JobFiles(folder: config.jobsFolder).read(name) != nil else {
            return console.notFound(name, Views.language(request), try context.signedIn)
        }
        return Console.redirect(to: "/console/jobs/\(name)/edit", keeping: request)
    }
}
