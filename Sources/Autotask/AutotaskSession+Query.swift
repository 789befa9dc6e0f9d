import Foundation

extension AutotaskSession {
    /// Every record matching `query`: `POST {entity}/query`, then each `nextPageUrl`
    /// until Autotask answers null.
    public func query<Record: Decodable & Sendable>(_ entity: String, _ query: AutotaskQuery, as type: Record.Type = Record.self, ids: [Int] = []) async throws -> [Record] {
        guard query.conditionCount <= AutotaskQuery.maxConditions else {
            throw AutotaskError(
                reason: .validation,
                message: "A query on \(entity) has \(query.conditionCount) conditions; Autotask accepts at most \(AutotaskQuery.maxConditions).",
                request: .init(method: "POST", entity: entity, ids: ids))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = try encoder.encode(query)
        var data = try await retryingRead { try await send(.POST, entity: entity, path: "\(entity)/query", body: body, ids: ids) }
        var records: [Record] = []
        var followed: Set<String> = []
        while true {
            let page = try decode(ItemsEnvelope<Record>.self, from: data, entity: entity)
            records += page.items
            guard let next = page.pageDetails?.nextPageUrl, !next.isEmpty else { return records }
            let url = try nextPage(next, entity: entity, ids: ids, followed: followed)
            followed.insert(next)
            data = try await retryingRead { try await send(.GET, entity: entity, absoluteURL: url, ids: ids) }
        }
    }

    /// A `nextPageUrl` that does not parse, repeats one already followed, or runs past
    /// `maxPagesPerQuery` is an error: never a silent end of the list, never a loop.
    private func nextPage(_ next: String, entity: String, ids: [Int], followed: Set<String>) throws -> URL {
        func refuse(_ why: String) -> AutotaskError {
            AutotaskError(
                reason: .invalidResponse, message: "Autotask's next page of \(entity) \(why); the query was stopped rather than end short or loop.",
                request: .init(method: "GET", entity: entity, ids: ids))
        }
        guard let url = URL(string: next), url.scheme != nil, url.host != nil else {
            throw refuse("is not a URL (\(next.prefix(120)))")
        }
        guard !followed.contains(next) else { throw refuse("repeats a page already read") }
        let limit = client.configuration.maxPagesPerQuery
        guard followed.count + 1 < limit else {
            throw refuse("would be page \(followed.count + 2), past the limit of \(limit) pages (\(limit * 500) records)")
        }
        return url
    }

    /// The first page of `query` alone (`MaxRecords` sets a page size, not a limit:
    /// `query` would follow every next page). One request, e.g. to probe a permission.
    public func firstPage<Record: Decodable & Sendable>(_ entity: String, _ query: AutotaskQuery, as type: Record.Type = Record.self) async throws -> [Record] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = try encoder.encode(query)
        let data = try await retryingRead { try await send(.POST, entity: entity, path: "\(entity)/query", body: body) }
        return try decode(ItemsEnvelope<Record>.self, from: data, entity: entity).items
    }

    /// Records whose `field` is one of `values`, in queries of at most 500 values each
    /// (Autotask's condition limit), combined with `extra` conditions.
    public func query<Record: Decodable & Sendable>(
        _ entity: String, where field: String, in values: [Int], and extra: [AutotaskFilter] = [],
        includeFields: [String]? = nil, as type: Record.Type = Record.self
    ) async throws -> [Record] {
        let unique = Array(Set(values)).sorted()
        let room = AutotaskQuery.maxConditions - extra.reduce(0) { $0 + $1.conditionCount }
        var records: [Record] = []
        for chunk in unique.chunked(by: max(1, room)) {
            let query = AutotaskQuery(filter: [.isIn(field, Array(chunk))] + extra, includeFields: includeFields)
            records += try await self.query(entity, query, as: Record.self, ids: Array(chunk))
        }
        return records
    }

    /// `GET {entity}/{id}`; nil when Autotask has no such record.
    public func get<Record: Decodable & Sendable>(_ entity: String, id: Int, as type: Record.Type = Record.self) async throws -> Record? {
        do {
            let data = try await retryingRead { try await send(.GET, entity: entity, path: "\(entity)/\(id)", ids: [id]) }
            return try decode(ItemEnvelope<Record>.self, from: data, entity: entity).item
        } catch let error as AutotaskError where error.reason == .notFound {
            return nil
        }
    }

    /// Retries a read (which changes nothing, so may be repeated) after a
    /// transient failure, up to `readRetries` times, honouring `Retry-After`.
    /// Writes are never retried here: the caller re-reads and decides again.
    func retryingRead(_ read: () async throws -> Data) async throws -> Data {
        var retries = 0
        while true {
            do {
                return try await read()
            } catch let error as AutotaskError where error.isTransient && retries < client.configuration.readRetries {
                retries += 1
                let backoff = Duration.milliseconds(Int64(Double(200 << retries) * Double.random(in: 0.5...1)))
                try await Task.sleep(for: min(error.retryAfter ?? backoff, .seconds(10)))
            }
        }
    }
}
