import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The simulator's own API under `/_sim/`: seed, inspect, break.
struct AdminRoutes: Sendable {
    let state: SimState

    func register(on router: Router<BasicRequestContext>) {
        let admin = router.group("/_sim")
        admin.get("/health") { _, _ in Self.json(["status": "ok"]) }
        admin.get("/world") { _, _ in Self.json(await state.world()) }
        admin.post("/world") { request, _ in
            guard let world: SimWorld = try await Self.decode(request) else { return Self.bad("the body is not a world") }
            await state.load(world)
            return Self.json(["databases": world.databases.map(\.name)])
        }
        admin.post("/generate") { request, _ in
            guard let generator: WorldGenerator = try await Self.decode(request) else { return Self.bad("the body is not a generator spec") }
            let world = generator.generate()
            await state.load(world)
            return Self.json(["databases": world.databases.map(\.name)])
        }
        admin.get("/databases/:db/units") { request, context in
            let db = context.parameters.get("db") ?? ""
            let day = request.uri.queryParameters.get("date").flatMap { SimDay(String($0)) }
            guard let units = await state.units(database: db, on: day) else { return Self.notFound(db) }
            return Self.json(units)
        }
        admin.get("/databases/:db/adjustments") { _, context in
            let db = context.parameters.get("db") ?? ""
            guard let log = await state.adjustments(database: db) else { return Self.notFound(db) }
            return Self.json(log)
        }
        admin.get("/databases/:db/notes") { _, context in
            let db = context.parameters.get("db") ?? ""
            guard let notes = await state.notes(database: db) else { return Self.notFound(db) }
            return Self.json(notes)
        }
        admin.put("/databases/:db/zone") { request, context in
            struct Body: Decodable { var zone: Int }
            let db = context.parameters.get("db") ?? ""
            guard let body: Body = try await Self.decode(request) else { return Self.bad("expected {\"zone\": N}") }
            return await state.move(database: db, toZone: body.zone) ? Self.json(["zone": body.zone]) : Self.notFound(db)
        }
        admin.put("/databases/:db/budget") { request, context in
            struct Body: Decodable { var hourlyBudget: Int? }
            let db = context.parameters.get("db") ?? ""
            guard let body: Body = try await Self.decode(request) else { return Self.bad("expected {\"hourlyBudget\": N}") }
            return await state.setBudget(database: db, hourlyBudget: body.hourlyBudget) ? Self.json(["ok": true]) : Self.notFound(db)
        }
        admin.post("/databases/:db/load") { request, context in
            struct Body: Decodable { var requests: Int }
            let db = context.parameters.get("db") ?? ""
            guard let body: Body = try await Self.decode(request), body.requests >= 0 else {
                return Self.bad("expected {\"requests\": N}: requests other integrations made just now")
            }
            return await state.addLoad(database: db, requests: body.requests) ? Self.json(["ok": true]) : Self.notFound(db)
        }
        admin.put("/budget-latency") { request, _ in
            struct Body: Decodable { var milliseconds: Int }
            guard let body: Body = try await Self.decode(request) else { return Self.bad("expected {\"milliseconds\": N}") }
            await state.setBudgetLatency(milliseconds: body.milliseconds)
            return Self.json(["milliseconds": body.milliseconds])
        }
        admin.put("/clock") { request, _ in
            struct Body: Decodable { var today: SimDay? }
            guard let body: Body = try await Self.decode(request) else { return Self.bad("expected {\"today\": \"YYYY-MM-DD\"}") }
            await state.setToday(body.today)
            return Self.json(["today": body.today?.description])
        }
        admin.get("/stats") { _, _ in Self.json(await state.statistics()) }
        admin.delete("/stats") { _, _ in
            await state.resetStatistics()
            return Self.json(["ok": true])
        }
        admin.get("/faults") { _, _ in Self.json(["spec": await state.currentFaults().description]) }
        admin.put("/faults") { request, _ in
            var request = request
            let text = String(buffer: try await request.collectBody(upTo: 64 * 1024))
            do {
                let spec = try FaultSpec(parsing: text)
                await state.setFaults(spec)
                return Self.json(["spec": spec.description])
            } catch {
                return Self.bad("\(error)")
            }
        }
        admin.post("/hooks/:hook") { request, context in
            var request = request
            let hook = context.parameters.get("hook") ?? ""
            let body = Data((try await request.collectBody(upTo: 1024 * 1024)).readableBytesView)
            let headers = Dictionary(request.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { a, _ in a })
            let behaviour = await state.receiveHook(hook, headers: headers, body: body)
            if behaviour.delayMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(behaviour.delayMilliseconds)) }
            var fields = HTTPFields()
            fields[.contentType] = "text/plain; charset=utf-8"
            let text = behaviour.status < 300 ? "ok" : "invalid_token"
            return Response(status: HTTPResponse.Status(code: behaviour.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        admin.get("/hooks/:hook") { _, context in Self.json(await state.hookDeliveries(context.parameters.get("hook") ?? "")) }
        admin.get("/hooks/:hook/text") { _, context in
            // Each delivery's Slack `text` (else its body), for the demo's terminal.
            let texts = await state.hookDeliveries(context.parameters.get("hook") ?? "").map(\.readableText)
            var fields = HTTPFields()
            fields[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: texts.joined(separator: "\n\n") + "\n")))
        }
        admin.put("/hooks/:hook/behaviour") { request, context in
            guard let behaviour: HookSink.Behaviour = try await Self.decode(request) else {
                return Self.bad("expected {\"status\": 200, \"delayMilliseconds\": 0}")
            }
            await state.setHookBehaviour(context.parameters.get("hook") ?? "", behaviour)
            return Self.json(behaviour)
        }
        admin.post("/reset") { _, _ in
            await state.reset()
            return Self.json(["ok": true])
        }
    }

    static func decode<T: Decodable>(_ request: Request) async throws -> T? {
        var request = request
        let buffer = try await request.collectBody(upTo: 256 * 1024 * 1024)
        return try? JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    }

    static func json(_ value: some Encodable, status: Int = 200) -> Response {
        APIRoutes.response(.json(value, status: status))
    }

    static func bad(_ message: String) -> Response { APIRoutes.response(.errors(400, message)) }

    static func notFound(_ db: String) -> Response { APIRoutes.response(.errors(404, "no database named \(db)")) }
}
