import Foundation
import Hummingbird

/// The simulated Huntress's admin calls, under `/_sim/huntress/`.
struct HuntressAdminRoutes: Sendable {
    let state: SimState

    func register(on router: Router<BasicRequestContext>) {
        let admin = router.group("/_sim/huntress")
        admin.get("/world") { _, _ in AdminRoutes.json(await state.huntressWorld()) }
        admin.post("/world") { request, _ in
            guard let world: SimHuntressWorld = try await AdminRoutes.decode(request) else { return AdminRoutes.bad("the body is not a Huntress world") }
            await state.loadHuntress(world)
            return AdminRoutes.json(["accounts": world.accounts.map(\.id)])
        }
        admin.post("/generate") { request, _ in
            guard let generator: HuntressGenerator = try await AdminRoutes.decode(request) else {
                return AdminRoutes.bad("expected {\"seed\": N, \"accounts\": N, \"organizationsPerAccount\": N}")
            }
            let world = generator.generate()
            await state.loadHuntress(world)
            return AdminRoutes.json(["accounts": world.accounts.map(\.id)])
        }
        admin.post("/accounts") { request, _ in
            guard let account: SimHuntressAccount = try await AdminRoutes.decode(request) else { return AdminRoutes.bad("the body is not an account") }
            await state.addHuntressAccount(account)
            return AdminRoutes.json(["id": account.id])
        }
        admin.post("/accounts/:account/organizations") { request, context in
            let account = context.parameters.get("account").flatMap { Int($0) } ?? -1
            guard let organization: SimHuntressOrganization = try await AdminRoutes.decode(request) else {
                return AdminRoutes.bad("expected {\"name\": \"…\", \"agentsCount\": N, …}")
            }
            guard let added = await state.addHuntressOrganization(organization, account: account) else {
                return Self.notFound("account", context.parameters.get("account"))
            }
            return AdminRoutes.json(added)
        }
        admin.put("/organizations/:id/counts") { request, context in
            guard let counts: SimHuntressCounts = try await AdminRoutes.decode(request) else {
                return AdminRoutes.bad("expected {\"agentsCount\": N, \"billableAgentsCount\": N, \"billableIdentities\": N}")
            }
            return await state.setHuntressCounts(Self.id(context), counts) ? AdminRoutes.json(["ok": true]) : Self.notFound(context)
        }
        admin.put("/organizations/:id/name") { request, context in
            struct Body: Decodable { var name: String }
            guard let body: Body = try await AdminRoutes.decode(request) else { return AdminRoutes.bad("expected {\"name\": \"…\"}") }
            return await state.renameHuntressOrganization(Self.id(context), to: body.name) ? AdminRoutes.json(["ok": true]) : Self.notFound(context)
        }
        admin.delete("/organizations/:id") { _, context in
            await state.removeHuntressOrganization(Self.id(context)) ? AdminRoutes.json(["ok": true]) : Self.notFound(context)
        }
        admin.put("/limit") { request, _ in
            struct Body: Decodable { var requests: Int?; var windowSeconds: Double? }
            guard let body: Body = try await AdminRoutes.decode(request) else {
                return AdminRoutes.bad("expected {\"requests\": N or null, \"windowSeconds\": S}")
            }
            await state.setHuntressLimit(requests: body.requests, windowSeconds: body.windowSeconds ?? 60)
            return AdminRoutes.json(["ok": true])
        }
        admin.get("/faults") { _, _ in AdminRoutes.json(["spec": await state.huntressFaults().description]) }
        admin.put("/faults") { request, _ in
            var request = request
            let text = String(buffer: try await request.collectBody(upTo: 64 * 1024))
            do {
                let spec = try FaultSpec(parsing: text)
                await state.setHuntressFaults(spec)
                return AdminRoutes.json(["spec": spec.description])
            } catch {
                return AdminRoutes.bad("\(error)")
            }
        }
        admin.get("/stats") { _, _ in AdminRoutes.json(await state.huntressStatistics()) }
        admin.delete("/stats") { _, _ in
            await state.resetHuntressStatistics()
            return AdminRoutes.json(["ok": true])
        }
    }

    private static func id(_ context: BasicRequestContext) -> Int {
        context.parameters.get("id").flatMap { Int($0) } ?? -1
    }

    private static func notFound(_ context: BasicRequestContext) -> Response {
        notFound("organization", context.parameters.get("id"))
    }

    private static func notFound(_ what: String, _ id: String?) -> Response {
        APIRoutes.response(.errors(404, "no Huntress \(what) \(id ?? "")"))
    }
}
