import Foundation
import HTTPTypes
import Hummingbird

/// Huntress's public API under `/huntress/v1/` (standing in for `https://api.huntress.io/v1/`):
/// `GET organizations` and `GET organizations/{id}`, with Basic auth per account.
struct HuntressRoutes: Sendable {
    let state: SimState

    func register(on router: Router<BasicRequestContext>) {
        router.on("/huntress/v1/**", method: .get) { request, context in
            await handle(request, segments: context.parameters.getCatchAll().map { $0.lowercased() })
        }
    }

    private func handle(_ request: Request, segments: [String]) async -> Response {
        guard segments.first == "organizations", segments.count <= 2 else {
            return APIRoutes.response(HuntressText.error(404, HuntressText.notFound))
        }
        switch await state.huntressAdmit(authorization: request.headers[.authorization]) {
        case .refused(let response):
            return APIRoutes.response(response)
        case .admitted(let admission):
            if admission.delayMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(admission.delayMilliseconds)) }
            switch admission.fault {
            case .hang(let ms):
                try? await Task.sleep(for: .milliseconds(ms))
                return APIRoutes.response(HuntressText.error(504, "Gateway Timeout"))
            case .bare:
                return APIRoutes.response(SimResponse(status: 500, body: Data(HuntressText.bare.utf8)))
            case .serverError:
                return APIRoutes.response(HuntressText.error(503, HuntressText.unavailable))
            case .none, .lostAnswer, .lateWrite:
                break
            }
            if segments.count == 2 {
                return APIRoutes.response(await state.huntressOrganization(account: admission.accountID, id: segments[1]))
            }
            let query = request.uri.queryParameters
            let host = request.head.authority ?? "127.0.0.1"
            return APIRoutes.response(await state.huntressOrganizations(
                account: admission.accountID, limit: query.get("limit"), pageToken: query.get("page_token"),
                pageURL: "http://\(host)/huntress/v1/organizations"))
        }
    }
}
