import ColonyAgent
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP API of a real `colony up` (port 0, its own token), route by route.
@Suite(.serialized) struct ControlPlaneTests {
    static let workflows = """
    workflows:
      - name: add
        inputs:
          a: {type: number}
          b: {type: number, default: 1}
        steps:
          - id: sum
            capability: math.add
            params: {a: "${input.a}", b: "${input.b}"}
      - name: slow
        steps:
          - id: nap
            capability: echo.sleep
            params: {ms: 60000}
      - name: ticking
        schedule: {every: 1h}
        steps:
          - id: sum
            capability: math.add
            params: {a: 1, b: 1}
    """

    /// The API of one `colony up`: its base URL and token, read from the dashboard line it prints.
    struct API {
        let base: URL
        let token: String

        init(base: URL, token: String) {
            self.base = base
            self.token = token
        }

        init(_ up: UpIntegrationTests.Up) async throws {
            var line: Substring?
            for _ in 0..<3000 where line == nil {
                line = up.harness.log(of: "up").split(separator: "\n").first { $0.contains(" dashboard http://") }
                if line == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let url = try #require(line.flatMap { $0.split(separator: " ").last }.flatMap { URLComponents(string: String($0)) }, "\(up.harness.log(of: "up"))")
            token = try #require(url.queryItems?.first { $0.name == "token" }?.value)
            base = try #require(URL(string: "http://\(url.host ?? "127.0.0.1"):\(url.port ?? 0)"))
        }

        /// Polls the run until it has `status` (at most 5 s).
        func waitFor(_ run: String, status: String) async throws {
            for _ in 0..<500 {
                if try await call("GET", "api/v1/runs/\(run)").json.value(at: ["run", "status"]) == .string(status) { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("run \(run) never became \(status)")
        }

        /// Sends a request; `token: false` leaves the bearer token out.
        func call(_ method: String, _ path: String, body: String? = nil, token: Bool = true) async throws -> (status: Int, json: JSONValue) {
            var request = URLRequest(url: try #require(URL(string: base.absoluteString + "/" + path)))
            request.httpMethod = method
            if token { request.setValue("Bearer \(self.token)", forHTTPHeaderField: "Authorization") }
            if let body {
                request.httpBody = Data(body.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return (status, data.isEmpty ? .null : try JSONDecoder().decode(JSONValue.self, from: data))
        }
    }

    @Test func everyRouteAnswersWithItsStatusAndTheTokenGuardsAllButHealth() async throws {
        let up = try await UpIntegrationTests.Up(agents: """
        agents:
          - name: math
            run: math
          - name: echo
            run: echo
        """, workflows: Self.workflows)
        defer { up.stop() }
        try up.start()
        #expect(try await waitForAgents(up.client, capability: "math.add"), "\(up.harness.log(of: "up"))")
        #expect(try await waitForAgents(up.client, capability: "echo.sleep"))
        let api = try await API(up)

        // Health needs no token; everything else does.
        let health = try await api.call("GET", "api/v1/health", token: false)
        #expect(health.status == 200 && health.json.value(at: ["broker", "reachable"]) == .bool(true), "\(health.json)")
        #expect(health.json.value(at: ["orchestrator", "state"]) == .string("active"))
        let openAPI = try await api.call("GET", "api/v1/openapi.json", token: false)
        #expect(openAPI.status == 200 && openAPI.json.value(at: ["openapi"]) == .string("3.1.0"))
        for path in ["api/v1/workflows", "api/v1/runs", "api/v1/agents", "api/v1/queue", "api/v1/schedules", "api/v1/groups"] {
            let refused = try await api.call("GET", path, token: false)
            #expect(refused.status == 401 && refused.json.value(at: ["error", "code"]) == .string("unauthorized"), "\(path)")
        }
        let forged = API(base: api.base, token: String(api.token.reversed()))
        #expect(try await forged.call("GET", "api/v1/workflows").status == 401)

        // Workflows.
        let workflows = try await api.call("GET", "api/v1/workflows")
        #expect(workflows.status == 200 && "\(workflows.json)".contains("\"slow\""))
        let add = try await api.call("GET", "api/v1/workflows/add")
        #expect(add.json.value(at: ["name"]) == .string("add"), "\(add.json)")
        if case .string(let definition) = add.json.value(at: ["definition"]) ?? .null {
            #expect(definition.contains("math.add"), "\(definition)")
        } else {
            Issue.record("no definition: \(add.json)")
        }
        if case .array(let versions) = add.json.value(at: ["versions"]) ?? .null {
            #expect(versions.count == 1 && versions.first?.value(at: ["version"]) == add.json.value(at: ["version"]))
        } else {
            Issue.record("no versions: \(add.json)")
        }
        #expect(try await api.call("GET", "api/v1/workflows/nope").status == 404)

        // Runs: start (201), bad input (400), unknown workflow (404), list, show, cancel.
        let started = try await api.call("POST", "api/v1/workflows/add/runs", body: #"{"input": {"a": 41}}"#)
        #expect(started.status == 201 && started.json.value(at: ["workflow"]) == .string("add"), "\(started.json)")
        guard case .string(let id) = started.json.value(at: ["id"]) ?? .null else { Issue.record("no run id: \(started.json)"); return }
        #expect(try await api.call("POST", "api/v1/workflows/add/runs", body: #"{"input": {"b": 1}}"#).status == 400)
        #expect(try await api.call("POST", "api/v1/workflows/add/runs", body: "{not json").status == 400)
        #expect(try await api.call("POST", "api/v1/workflows/nope/runs", body: "{}").status == 404)
        var shown = try await api.call("GET", "api/v1/runs/\(id)")
        for _ in 0..<500 where shown.json.value(at: ["run", "status"]) != .string("completed") {
            try await Task.sleep(for: .milliseconds(10))
            shown = try await api.call("GET", "api/v1/runs/\(id)")
        }
        #expect(shown.json.value(at: ["run", "output", "sum", "result"]) == .number(42), "\(shown.json)")
        if case .string(let created) = shown.json.value(at: ["run", "createdAt"]) ?? .null {
            #expect(created.hasSuffix("Z") && created.contains("."), "ISO 8601 with milliseconds: \(created)")
        } else {
            Issue.record("no createdAt")
        }
        #expect(try await api.call("GET", "api/v1/runs/r-nope").status == 404)
        let listed = try await api.call("GET", "api/v1/runs?workflow=add&status=completed&limit=5")
        #expect(listed.status == 200 && "\(listed.json)".contains(id))
        // Pages: a cursor continues where a page ended, with no run twice and none skipped.
        for _ in 0..<2 { _ = try await api.call("POST", "api/v1/workflows/add/runs", body: #"{"input": {"a": 1}}"#) }
        let firstPage = try await api.call("GET", "api/v1/runs?workflow=add&limit=2")
        guard case .string(let cursor) = firstPage.json.value(at: ["next"]) ?? .null else { Issue.record("no next: \(firstPage.json)"); return }
        let secondPage = try await api.call("GET", "api/v1/runs?workflow=add&limit=2&cursor=\(cursor)")
        func ids(_ page: JSONValue) -> [String] {
            guard case .array(let runs) = page.value(at: ["runs"]) ?? .null else { return [] }
            return runs.compactMap { if case .string(let id) = $0.value(at: ["id"]) ?? .null { id } else { nil } }
        }
        #expect(ids(firstPage.json).count == 2 && ids(secondPage.json).count == 1 && Set(ids(firstPage.json) + ids(secondPage.json)).count == 3,
                "\(firstPage.json) then \(secondPage.json)")
        #expect(ids(secondPage.json) == [id], "the oldest run comes last")
        #expect(secondPage.json.value(at: ["next"]) == nil)
        #expect(try await api.call("GET", "api/v1/runs?cursor=nonsense").status == 400)
        #expect(try await api.call("GET", "api/v1/runs?status=sleeping").status == 400)
        #expect(try await api.call("GET", "api/v1/runs?limit=0").status == 400)
        #expect(try await api.call("GET", "api/v1/runs?since=2h").status == 200)

        // A chosen id: 201 once, then 200 with the same run; tags find it.
        let keyed = try await api.call("POST", "api/v1/workflows/add/runs", body: #"{"input": {"a": 1}, "id": "http-1", "tags": {"env": "prod"}}"#)
        #expect(keyed.status == 201 && keyed.json.value(at: ["id"]) == .string("http-1"), "\(keyed.json)")
        let repeated = try await api.call("POST", "api/v1/workflows/add/runs", body: #"{"input": {"a": 1}, "id": "http-1"}"#)
        #expect(repeated.status == 200 && repeated.json.value(at: ["id"]) == .string("http-1"), "\(repeated.json)")
        #expect(try await api.call("POST", "api/v1/workflows/slow/runs", body: #"{"id": "http-1"}"#).status == 409)
        #expect(try await api.call("POST", "api/v1/workflows/add/runs", body: #"{"input": {"a": 1}, "tags": {"bad name": "x"}}"#).status == 400)
        #expect(ids(try await api.call("GET", "api/v1/runs?tag=env=prod").json) == ["http-1"])
        #expect(try await api.call("GET", "api/v1/runs?tag=env").status == 400)
        // Retry: a finished run with nothing to run again is 409; from a named step, 201 and linked.
        try await api.waitFor("http-1", status: "completed")
        #expect(try await api.call("POST", "api/v1/runs/http-1/retry").status == 409)
        #expect(try await api.call("POST", "api/v1/runs/http-1/retry", body: #"{"from": ["nope"]}"#).status == 400)
        let retried = try await api.call("POST", "api/v1/runs/http-1/retry", body: #"{"from": ["sum"]}"#)
        #expect(retried.status == 201 && retried.json.value(at: ["retryOf"]) == .string("http-1"), "\(retried.json)")
        #expect(try await api.call("POST", "api/v1/runs/r-nope/retry").status == 404)
        // Pause and resume; a signal to a run that waits for none is 400.
        #expect(try await api.call("POST", "api/v1/runs/http-1/pause").status == 409, "a completed run cannot be paused")
        #expect(try await api.call("POST", "api/v1/runs/http-1/resume").status == 409)
        #expect(try await api.call("POST", "api/v1/runs/http-1/signals/approve", body: #"{"data": 1}"#).status == 409, "the run ended")
        let finished = try await api.call("POST", "api/v1/runs/\(id)/cancel")
        #expect(finished.status == 409 && finished.json.value(at: ["error", "code"]) == .string("already_finished"))
        let slow = try await api.call("POST", "api/v1/workflows/slow/runs", body: "{}")
        guard case .string(let slowID) = slow.json.value(at: ["id"]) ?? .null else { Issue.record("no run id: \(slow.json)"); return }
        try await api.waitFor(slowID, status: "running")
        let paused = try await api.call("POST", "api/v1/runs/\(slowID)/pause", body: #"{"reason": "look"}"#)
        #expect(paused.status == 200 && paused.json.value(at: ["status"]) == .string("paused"), "\(paused.json)")
        #expect(ids(try await api.call("GET", "api/v1/runs?status=paused").json) == [slowID])
        #expect(try await api.call("POST", "api/v1/runs/\(slowID)/resume").json.value(at: ["status"]) == .string("running"))
        #expect(try await api.call("POST", "api/v1/runs/\(slowID)/signals/approve").status == 400, "slow waits for no signal")
        let cancelled = try await api.call("POST", "api/v1/runs/\(slowID)/cancel", body: #"{"reason": "test"}"#)
        #expect(cancelled.status == 200 && cancelled.json.value(at: ["status"]) == .string("cancelled"), "\(cancelled.json)")

        // Schedules: list, pause, resume, trigger; unknown ones are 404.
        let schedules = try await api.call("GET", "api/v1/schedules")
        #expect(schedules.status == 200 && "\(schedules.json)".contains("ticking"))
        #expect(try await api.call("POST", "api/v1/schedules/ticking/pause").json.value(at: ["paused"]) == .bool(true))
        #expect(try await api.call("POST", "api/v1/schedules/ticking/resume").json.value(at: ["paused"]) == .bool(false))
        #expect(try await api.call("POST", "api/v1/schedules/ticking/trigger").status == 200)
        #expect(try await api.call("POST", "api/v1/schedules/nope/pause").status == 404)
        let ticks = try await api.call("GET", "api/v1/schedules/ticking/ticks?limit=5")
        #expect(ticks.status == 200 && ticks.json.value(at: ["ticks", "0", "outcome"]) == .string("started"), "\(ticks.json)")
        #expect(try await api.call("GET", "api/v1/schedules/nope/ticks").status == 404)
        #expect(try await api.call("GET", "api/v1/schedules/ticking/ticks?limit=0").status == 400)

        // Agents, groups, the queue.
        let agents = try await api.call("GET", "api/v1/agents")
        #expect(agents.status == 200 && "\(agents.json)".contains("math.add"))
        #expect(try await api.call("GET", "api/v1/groups").status == 200)
        let group = try await api.call("GET", "api/v1/groups/math.add")
        #expect(group.status == 200 && "\(group.json)".contains("math"), "\(group.json)")
        #expect(try await api.call("GET", "api/v1/groups/nobody-here").status == 404)
        let queue = try await api.call("GET", "api/v1/queue")
        #expect(queue.status == 200)
        guard case .array = queue.json.value(at: ["resources"]) ?? .null else { Issue.record("the queue has no resources: \(queue.json)"); return }
        #expect(try await api.call("GET", "api/v1/triggers").json.value(at: ["triggers"]) == .array([]))
        #expect(try await api.call("GET", "api/v1/triggers/add/firings").status == 404, "add has no trigger")
        #expect(try await api.call("GET", "api/v1/nothing").status == 404)
    }
}
