import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Autotask's REST paths. The router matches them ignoring case, as Autotask does;
/// the zone is the first path segment (`/ws2/ATServicesRest/V1.0/…`), standing in
/// for the zone's host name (`webservices2.autotask.net`). Paths without a zone are
/// the lookup host, where only `zoneInformation` works.
struct APIRoutes: Sendable {
    let state: SimState

    func register(on router: Router<BasicRequestContext>) {
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/atservicesrest/v1.0/**", method: method) { request, context in
                await handle(request, zone: nil, segments: context.parameters.getCatchAll())
            }
            router.on("/:zone/atservicesrest/v1.0/**", method: method) { request, context in
                let zoneName = context.parameters.get("zone")?.lowercased() ?? ""
                let zone = zoneName.hasPrefix("ws") ? Int(zoneName.dropFirst(2)) : nil
                return await handle(request, zone: zone, segments: context.parameters.getCatchAll())
            }
        }
    }

    private func handle(_ request: Request, zone: Int?, segments: [Substring]) async -> Response {
        var request = request
        let host = request.head.authority ?? "127.0.0.1"
        let path = segments.map { $0.lowercased() }
        if path == ["zoneinformation"] {
            return Self.response(await state.zoneInformation(user: request.uri.queryParameters.get("user"), host: host))
        }
        guard let route = APIRoute(path: path, method: request.method) else {
            return Self.response(.errors(404, "No HTTP resource was found that matches the request URI."))
        }
        if request.method == .post, request.headers[.contentType]?.lowercased().hasPrefix("application/json") != true {
            return Self.response(.errors(415, "The request entity's media type is not supported: send Content-Type: application/json."))
        }
        let gate = await state.admit(
            userName: request.headers[HTTPField.Name("UserName")!],
            secret: request.headers[HTTPField.Name("Secret")!],
            integrationCode: request.headers[HTTPField.Name("ApiIntegrationCode")!],
            zone: zone, entity: route.entity, endpoint: route.entity.lowercased())
        switch gate {
        case .refused(let response):
            return Self.response(response)
        case .admitted(let admission):
            let answer = await perform(route, admission: admission, request: &request, host: host)
            await state.release(admission)
            return Self.response(answer)
        }
    }

    private func perform(_ route: APIRoute, admission: Admission, request: inout Request, host: String) async -> SimResponse {
        if admission.delayMilliseconds > 0 {
            try? await Task.sleep(for: .milliseconds(admission.delayMilliseconds))
        }
        switch admission.fault {
        case .none: break
        case .hang(let ms):
            try? await Task.sleep(for: .milliseconds(ms))
            return .errors(504, "Gateway Timeout")
        case .bare:
            return .errors(500, SimText.bare)
        case .serverError:
            return .errors(503, SimText.serviceUnavailable)
        case .lostAnswer(let ms):
            guard case .create = route else { break }
            await state.noteFault("lost")
            _ = await answer(route, admission: admission, request: &request, host: host)
            try? await Task.sleep(for: .milliseconds(ms))
            return .errors(504, "Gateway Timeout")
        case .lateWrite(let ms):
            guard case .create(let entity, let parent) = route else { break }
            await state.noteFault("late")
            let body = await Self.body(of: &request)
            Task { [state] in
                try? await Task.sleep(for: .milliseconds(ms))
                _ = await Self.create(body, entity: entity, parent: parent, admission: admission, state: state)
            }
            return .errors(504, "Gateway Timeout")
        }
        return await answer(route, admission: admission, request: &request, host: host)
    }

    private func answer(_ route: APIRoute, admission: Admission, request: inout Request, host: String) async -> SimResponse {
        let body = await Self.body(of: &request)
        switch route {
        case .threshold:
            return await state.threshold(admission: admission)
        case .item(let entity, let id):
            return await state.item(entity, id: id, admission: admission)
        case .create(let entity, let parent):
            return await Self.create(body, entity: entity, parent: parent, admission: admission, state: state)
        case .query(let entity, let kind):
            let searchText: String?
            switch request.method {
            case .post: searchText = String(decoding: body, as: UTF8.self)
            default: searchText = request.uri.queryParameters.get("search")
            }
            guard let searchText, let data = searchText.data(using: .utf8) else {
                return .errors(500, "The query has no search.")
            }
            let query: SimQueryBody
            do {
                query = try JSONDecoder().decode(SimQueryBody.self, from: data)
            } catch SimQueryError.malformed(let message) {
                return .errors(500, message)
            } catch {
                return .errors(500, "The query is not valid JSON.")
            }
            switch kind {
            case .count:
                return await state.count(entity, body: query, admission: admission)
            case .first:
                return await state.query(entity, body: query, after: Int.min, admission: admission, host: host)
            case .next:
                let after = request.uri.queryParameters.get("paging").flatMap { Int($0) } ?? Int.min
                return await state.query(entity, body: query, after: after, admission: admission, host: host)
            }
        }
    }

    static func response(_ answer: SimResponse) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// A parsed API path (segments lower-cased).
enum APIRoute: Sendable {
    enum QueryKind: Sendable { case first, next, count }

    case query(String, QueryKind)
    case item(String, Int)
    case create(String, parentContractID: Int?)
    case threshold

    init?(path: [String], method: HTTPRequest.Method) {
        switch (path.count, method) {
        // Autotask's swagger has `ThresholdInformation`; APIS.md names `Internal/thresholdInformation`. Both answer.
        case (2, .get) where path == ["internal", "thresholdinformation"], (1, .get) where path == ["thresholdinformation"]:
            self = .threshold
            return
        case (3, .post) where path[0] == "contracts" && path[2] == "serviceadjustments":
            guard let id = Int(path[1]) else { return nil }
            self = .create("ContractServiceAdjustments", parentContractID: id)
            return
        case (3, .post) where path[0] == "contracts" && path[2] == "notes":
            guard let id = Int(path[1]) else { return nil }
            self = .create("ContractNotes", parentContractID: id)
            return
        default: break
        }
        guard let first = path.first, let entity = SimState.canonicalEntity(first) else { return nil }
        let rest = Array(path.dropFirst())
        switch (rest.count, method) {
        case (0, .post): self = .create(entity, parentContractID: nil)
        case (1, .post) where rest == ["query"], (1, .get) where rest == ["query"]: self = .query(entity, .first)
        case (2, .get) where rest == ["query", "next"]: self = .query(entity, .next)
        case (2, .post) where rest == ["query", "count"], (2, .get) where rest == ["query", "count"]: self = .query(entity, .count)
        case (1, .get):
            guard let n = Int(rest[0]) else { return nil }
            self = .item(entity, n)
        default: return nil
        }
    }

    var entity: String {
        switch self {
        case .query(let e, _), .item(let e, _), .create(let e, _): e
        case .threshold: "ThresholdInformation"
        }
    }

}

extension APIRoutes {
    static func body(of request: inout Request) async -> Data {
        (try? await request.collectBody(upTo: 16 * 1024 * 1024)).map { Data($0.readableBytesView) } ?? Data()
    }

    static func create(_ body: Data, entity: String, parent: Int?, admission: Admission, state: SimState) async -> SimResponse {
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: body) else {
            return .errors(500, "The request body is not valid JSON.")
        }
        switch entity {
        case "ContractServiceAdjustments":
            return await state.createAdjustment(json, parentContractID: parent, admission: admission)
        case "ContractNotes":
            return await state.createNote(json, parentContractID: parent, admission: admission)
        default:
            return .errors(405, "The simulator creates only ContractServiceAdjustments and ContractNotes.")
        }
    }
}
