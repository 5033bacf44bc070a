import ColonyAgent
import ColonyCore
import ColonyOrchestrator
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Hummingbird

extension ControlPlane {
    /// Every route of `/api/v1` (docs/openapi.json describes the same set).
    func addRoutes(to router: Router<BasicRequestContext>) {
        let api = router.group("api/v1")
        let bus = self.bus
        let health = self.health
        let hub = self.events

        router.get("/") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            // Nothing the page loads may come from elsewhere; its script and style are inline.
            headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
        api.get("health") { _, _ in try JSONResponse.make(await health.report(bus: bus)) }
        api.get("openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }

        api.get("workflows") { _, _ in
            try JSONResponse.make(try await bus.call(OrchestratorAPI.list, Empty(), as: OrchestratorAPI.ListReply.self))
        }
        api.get("workflows/:name") { _, context in
            let name = try context.parameters.require("name")
            let list = try await bus.call(OrchestratorAPI.list, Empty(), as: OrchestratorAPI.ListReply.self)
            guard let workflow = list.workflows.first(where: { $0.name == name }) else { throw APIError.notFound("no workflow named '\(name)'") }
            let versions = try await bus.call(OrchestratorAPI.versions, OrchestratorAPI.VersionsRequest(workflow: name), as: [OrchestratorAPI.Version].self)
            return try JSONResponse.make(WorkflowDetail(workflow: workflow, versions: versions))
        }
        api.post("workflows/:name/runs") { request, context in
            let name = try context.parameters.require("name")
            let body = try await Self.decodeBody(StartRun.self, from: request, context: context) ?? StartRun()
            let started = try await bus.call(OrchestratorAPI.run,
                                             OrchestratorAPI.RunRequest(workflow: name, input: body.input, priority: body.priority,
                                                                        id: body.id.map { RunID($0) }, tags: body.tags),
                                             as: OrchestratorAPI.StartedRun.self)
            // A repeated submission with the same id: 200 with the run it started.
            return try JSONResponse.make(RunResource(started.run), status: started.existing ? .ok : .created)
        }

        api.get("runs") { request, _ in
            let query = request.uri.queryParameters
            let limit = try Self.integer(query.get("limit"), named: "limit", in: 1...1000) ?? 50
            let status = try query.get("status").map { text throws(APIError) in
                guard let status = RunStatus(rawValue: text) else {
                    throw APIError.badRequest("status must be one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
                }
                return status
            }
            let since = try query.get("since").map { text throws(APIError) in try Self.date(text, named: "since") }
            let cursor = try query.get("cursor").map { text throws(APIError) in try RunCursor(text) }
            var tags: [String: String] = [:]
            for text in query.getAll("tag") {
                guard let (name, value) = RunTags.parse(String(text)) else { throw APIError.badRequest("tag must be NAME=VALUE, not '\(text)'") }
                tags[name] = value
            }
            let reply = try await bus.call(OrchestratorAPI.history,
                                           OrchestratorAPI.HistoryRequest(workflow: query.get("workflow"), status: status, since: since, limit: limit,
                                                                          beforeRun: cursor.map { RunID($0.id) }, beforeCreatedAt: cursor?.createdAt,
                                                                          tags: tags.isEmpty ? nil : tags),
                                           as: OrchestratorAPI.HistoryReply.self)
            let next = reply.runs.count == limit ? reply.runs.last.map { RunCursor(id: $0.id.rawValue, createdAt: $0.createdAt).text } : nil
            return try JSONResponse.make(RunPage(runs: reply.runs.map(RunResource.init), next: next))
        }
        api.get("runs/:id") { _, context in
            let id = RunID(try context.parameters.require("id"))
            let detail = try await bus.call(OrchestratorAPI.show, OrchestratorAPI.RunReference(run: id), as: OrchestratorAPI.RunDetail.self)
            return try JSONResponse.make(RunDetailResource(detail))
        }
        api.post("runs/:id/cancel") { request, context in
            let id = RunID(try context.parameters.require("id"))
            let body = try await Self.decodeBody(CancelRun.self, from: request, context: context)
            let before = try await bus.call(OrchestratorAPI.show, OrchestratorAPI.RunReference(run: id), as: OrchestratorAPI.RunDetail.self)
            guard !before.run.status.isFinal else {
                throw APIError(.conflict, "already_finished", "run \(id) already \(before.run.status.rawValue)")
            }
            let run = try await bus.call(OrchestratorAPI.cancel, OrchestratorAPI.RunReference(run: id, reason: body?.reason ?? "cancelled over HTTP"),
                                         as: RunRecord.self)
            return try JSONResponse.make(RunResource(run))
        }
        api.post("runs/:id/retry") { request, context in
            let id = RunID(try context.parameters.require("id"))
            let body = try await Self.decodeBody(RetryRun.self, from: request, context: context)
            let run = try await bus.call(OrchestratorAPI.retry,
                                         OrchestratorAPI.RetryRequest(run: id, from: body?.from?.map { StepID($0) }, input: body?.input, latest: body?.latest),
                                         as: RunRecord.self)
            return try JSONResponse.make(RunResource(run), status: .created)
        }
        for (verb, capability) in [("pause", OrchestratorAPI.pause), ("resume", OrchestratorAPI.resume)] {
            api.post("runs/:id/\(verb)") { request, context in
                let id = RunID(try context.parameters.require("id"))
                let body = try await Self.decodeBody(CancelRun.self, from: request, context: context)
                let run = try await bus.call(capability, OrchestratorAPI.RunReference(run: id, reason: body?.reason ?? "\(verb)d over HTTP"),
                                             as: RunRecord.self)
                return try JSONResponse.make(RunResource(run))
            }
        }
        api.post("runs/:id/signals/:name") { request, context in
            let id = RunID(try context.parameters.require("id"))
            let name = try context.parameters.require("name")
            let body = try await Self.decodeBody(SendSignal.self, from: request, context: context)
            let receipt = try await bus.call(OrchestratorAPI.signal, OrchestratorAPI.SignalRequest(run: id, signal: name, data: body?.data),
                                             as: OrchestratorAPI.SignalReceipt.self)
            return try JSONResponse.make(receipt)
        }

        api.get("schedules") { _, _ in
            try JSONResponse.make(try await bus.call(ScheduleAPI.list, Empty(), as: ScheduleAPI.ListReply.self))
        }
        for (verb, capability) in [("pause", ScheduleAPI.pause), ("resume", ScheduleAPI.resume), ("trigger", ScheduleAPI.trigger)] {
            api.post("schedules/:name/\(verb)") { request, context in
                let name = try context.parameters.require("name")
                let body = try await Self.decodeBody(CancelRun.self, from: request, context: context)
                _ = try await bus.call(capability, ScheduleAPI.Target(name: name, reason: body?.reason), as: JSONValue.self)
                let list = try await bus.call(ScheduleAPI.list, Empty(), as: ScheduleAPI.ListReply.self)
                guard let schedule = list.schedules.first(where: { $0.name == name }) else { throw APIError.notFound("no schedule named '\(name)'") }
                return try JSONResponse.make(schedule)
            }
        }

        api.get("schedules/:name/ticks") { request, context in
            let name = try context.parameters.require("name")
            let limit = try Self.integer(request.uri.queryParameters.get("limit"), named: "limit", in: 1...1000) ?? 20
            let list = try await bus.call(ScheduleAPI.list, Empty(), as: ScheduleAPI.ListReply.self)
            guard list.schedules.contains(where: { $0.name == name }) else { throw APIError.notFound("no schedule named '\(name)'") }
            return try JSONResponse.make(try await bus.call(ScheduleAPI.ticks, ScheduleAPI.TicksRequest(schedule: name, limit: limit),
                                                            as: ScheduleAPI.TicksReply.self))
        }

        api.get("triggers") { _, _ in
            try JSONResponse.make(try await bus.call(TriggerAPI.list, Empty(), as: TriggerAPI.ListReply.self))
        }
        api.get("triggers/:name/firings") { request, context in
            let name = try context.parameters.require("name")
            let limit = try Self.integer(request.uri.queryParameters.get("limit"), named: "limit", in: 1...1000) ?? 50
            let list = try await bus.call(TriggerAPI.list, Empty(), as: TriggerAPI.ListReply.self)
            guard list.triggers.contains(where: { $0.workflow == name }) else { throw APIError.notFound("workflow '\(name)' has no trigger") }
            return try JSONResponse.make(try await bus.call(TriggerAPI.log, TriggerAPI.LogRequest(workflow: name, limit: limit), as: TriggerAPI.LogReply.self))
        }

        api.get("agents") { _, _ in
            try JSONResponse.make(try await bus.management(ManagementService.directory, as: Directory.self))
        }
        api.get("groups") { _, _ in
            let directory = try await bus.management(ManagementService.directory, as: Directory.self)
            let leaderships = try await bus.call(CoordinationAPI.status, CoordinationAPI.GroupRequest(group: nil), as: [Leadership].self)
            return try JSONResponse.make(GroupList(directory: directory, leaderships: leaderships))
        }
        api.get("groups/:name") { _, context in
            let name = try context.parameters.require("name")
            let members = try await bus.management(ManagementService.group, argument: name, as: GroupMembers.self)
            let leadership = try await bus.call(CoordinationAPI.status, CoordinationAPI.GroupRequest(group: GroupName(name)), as: [Leadership].self)
            let decisions = try await bus.call(CoordinationAPI.decisions, CoordinationAPI.GroupRequest(group: GroupName(name)),
                                               as: [CoordinationAPI.Decision].self)
            guard !members.members.isEmpty || !leadership.isEmpty || !decisions.isEmpty else {
                throw APIError.notFound("no agent is in group '\(name)' and it has no leader or decisions")
            }
            return try JSONResponse.make(GroupDetail(name: name, members: members.members, leadership: leadership.first, decisions: decisions))
        }
        api.get("events") { request, _ in
            let query = request.uri.queryParameters
            let filter = EventFilter(workflow: query.get("workflow"), run: query.get("run"),
                                     topics: query.get("topics").map { $0.split(separator: ",").map(String.init) } ?? [])
            guard let stream = await hub.open(filter) else {
                throw APIError(.serviceUnavailable, "too_many_streams", "\(EventHub.maxStreams) event streams are open; close one")
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": colony events\n\n"))
                for await event in stream {
                    let text = event.topic.isEmpty ? ": keepalive\n\n" : "id: \(event.id)\nevent: \(Self.eventType(event.topic))\ndata: \(event.json)\n\n"
                    try await writer.write(ByteBuffer(string: text))
                }
                try await writer.finish(nil)
            })
        }
        api.get("queue") { _, _ in
            try JSONResponse.make(try await bus.call(ScheduleAPI.queue, Empty(), as: ScheduleAPI.QueueReply.self))
        }
    }

    /// An SSE event's type: the topic's first two parts (`step.succeeded`, `coordination.decided`),
    /// so a browser can listen by kind; the data names the full topic.
    static func eventType(_ topic: String) -> String {
        topic.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false).prefix(2).joined(separator: ".")
    }

    /// A JSON body, or nil when there is none; a malformed one is a 400 naming what is wrong.
    static func decodeBody<T: Decodable>(_ type: T.Type, from request: Request, context: BasicRequestContext) async throws -> T? {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError.badRequest("the body is not the expected JSON: \(error)")
        }
    }

    static func integer(_ text: String?, named name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// An ISO 8601 time, or a duration back from now (`2h`, `30m`, `7d`).
    static func date(_ text: String, named name: String) throws(APIError) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0, amount <= 36_500 * 86_400 / unit {
            return Date().addingTimeInterval(-amount * unit)
        }
        throw APIError.badRequest("\(name) must be an ISO 8601 time or a duration like 30m, 2h, 7d, not '\(text)'")
    }
}

/// `POST /api/v1/workflows/{name}/runs`.
struct StartRun: Decodable {
    var input: JSONValue?
    var priority: Int?
    var id: String?
    var tags: [String: String]?
}

/// `POST /api/v1/runs/{id}/cancel` and the schedule verbs: an optional reason.
struct CancelRun: Decodable {
    var reason: String?
}

/// `POST /api/v1/runs/{id}/retry`: the steps to run again, a new input, the latest version.
struct RetryRun: Decodable {
    var from: [String]?
    var input: JSONValue?
    var latest: Bool?
}

/// `POST /api/v1/runs/{id}/signals/{name}`: the signal's data, the waiting step's output.
struct SendSignal: Decodable {
    var data: JSONValue?
}

/// `GET /api/v1/workflows/{name}`: the workflow, its current definition and its stored versions.
struct WorkflowDetail: Encodable {
    struct Version: Encodable {
        var version: Int64
        var fingerprint: String
        var createdAt: Date
    }
    var workflow: OrchestratorAPI.WorkflowSummary
    var definition: String?
    var versions: [Version]

    init(workflow: OrchestratorAPI.WorkflowSummary, versions: [OrchestratorAPI.Version]) {
        self.workflow = workflow
        definition = versions.first { $0.version == workflow.version }?.source
        self.versions = versions.map { Version(version: $0.version, fingerprint: $0.fingerprint, createdAt: $0.createdAt) }
    }

    func encode(to encoder: any Encoder) throws {
        try workflow.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(definition, forKey: .definition)
        try container.encode(versions, forKey: .versions)
    }

    enum Keys: String, CodingKey { case definition, versions }
}

struct RunPage: Encodable {
    var runs: [RunResource]
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    var next: String?
}

/// Where a page of runs ended, as an opaque token: the last run's id and exact creation time.
struct RunCursor: Codable {
    var id: String
    /// Seconds since 2001-01-01 as stored (exact, so the next page starts right after it).
    var t: Double

    init(id: String, createdAt: Date) {
        self.id = id
        self.t = createdAt.timeIntervalSinceReferenceDate
    }

    init(_ text: String) throws(APIError) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.utf8.count <= 1024, let data = Data(base64Encoded: base64),
              let cursor = try? JSONDecoder().decode(RunCursor.self, from: data), cursor.t.isFinite
        else { throw APIError.badRequest("cursor is not one this API gave out: '\(text.prefix(64))'") }
        self = cursor
    }

    var createdAt: Date { Date(timeIntervalSinceReferenceDate: t) }

    var text: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()  // two plain fields: encoding cannot fail
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

struct RunDetailResource: Encodable {
    var run: RunResource
    var steps: [StepRecord]
    var attempts: [AttemptRecord]
    var transitions: [TransitionRecord]
    var waiting: [String]
    var skipped: [SkipRecord]
    var children: [RunResource]
    /// Runs that retry this one.
    var retries: [RunResource]

    init(_ detail: OrchestratorAPI.RunDetail) {
        run = RunResource(detail.run)
        steps = detail.steps
        attempts = detail.attempts
        transitions = detail.transitions
        waiting = detail.waiting
        skipped = detail.skipped
        children = detail.children.map(RunResource.init)
        retries = (detail.retries ?? []).map(RunResource.init)
    }
}

struct GroupList: Encodable {
    struct Group: Encodable {
        var name: String
        var members: Int
        var leader: String?
        var term: UInt64?
    }
    var groups: [Group]

    init(directory: Directory, leaderships: [Leadership]) {
        var names = Set(directory.agents.flatMap { $0.groups ?? [] })
        names.formUnion(leaderships.map(\.group.rawValue))
        groups = names.sorted().map { name in
            let leadership = leaderships.first { $0.group.rawValue == name }
            return Group(name: name, members: directory.agents.filter { $0.groups?.contains(name) ?? false }.count,
                         leader: leadership?.leader?.rawValue, term: leadership?.term)
        }
    }
}

struct GroupDetail: Encodable {
    var name: String
    var members: [AgentRecord]
    var leadership: Leadership?
    var decisions: [CoordinationAPI.Decision]
}
