public import Foundation

/// A webhook receiver for the demo and the tests (`/_sim/hooks/{name}`):
/// records every delivery as received, and answers as told (Slack answers
/// `ok`; a hook can be made to refuse or to answer late).
public struct HookSink: Sendable {
    public struct Delivery: Sendable, Codable, Equatable {
        public var hook: String
        public var receivedAt: Date
        /// Headers of interest: content type, idempotency key, Tally's timestamp and signature.
        public var headers: [String: String]
        public var body: String

        /// A Slack message's `text`, else the body as received.
        public var readableText: String {
            guard let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], let text = json["text"] as? String
            else { return body }
            return text
        }
    }

    public struct Behaviour: Sendable, Codable, Equatable {
        /// The status answered (200 by default).
        public var status: Int = 200
        /// How long the answer takes, after the delivery is recorded.
        public var delayMilliseconds: Int = 0

        public init(status: Int = 200, delayMilliseconds: Int = 0) {
            self.status = status
            self.delayMilliseconds = delayMilliseconds
        }
    }

    static let recordedHeaders = ["content-type", "idempotency-key", "x-tally-timestamp", "x-tally-signature", "user-agent"]

    var deliveries: [Delivery] = []
    var behaviours: [String: Behaviour] = [:]
}

extension SimState {
    /// Records a delivery; answers the hook's behaviour.
    func receiveHook(_ hook: String, headers: [String: String], body: Data) -> HookSink.Behaviour {
        let kept = headers.filter { HookSink.recordedHeaders.contains($0.key.lowercased()) }
        hookSink.deliveries.append(HookSink.Delivery(
            hook: hook, receivedAt: Date(), headers: Dictionary(kept.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a }),
            body: String(decoding: body, as: UTF8.self)))
        return hookSink.behaviours[hook] ?? HookSink.Behaviour()
    }

    public func hookDeliveries(_ hook: String) -> [HookSink.Delivery] {
        hookSink.deliveries.filter { $0.hook == hook }
    }

    public func setHookBehaviour(_ hook: String, _ behaviour: HookSink.Behaviour) {
        hookSink.behaviours[hook] = behaviour
    }
}
