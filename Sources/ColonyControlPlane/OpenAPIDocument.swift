/// The API's OpenAPI 3.1 document, served at `/api/v1/openapi.json`. `ControlPlaneTests`
/// check that its paths are exactly the router's routes and that every reference resolves.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Colony control plane",
        "version": "1.0.0",
        "description": "Runs, workflows, schedules, agents, groups and the queue of a Colony. Every route but /api/v1/health and /api/v1/openapi.json needs the bearer token of .colony/keys/http-token. Errors are {\"error\":{\"code\",\"message\"}}."
      },
      "servers": [{"url": "/"}],
      "security": [{"bearer": []}],
      "paths": {
        "/": {
          "get": {"summary": "The dashboard (one page; give it the token once as ?token=)", "security": [],
                  "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}}}
        },
        "/metrics": {
          "get": {"summary": "Prometheus metrics (text format 0.0.4): broker, orchestrator, scheduler, supervisor", "security": [],
                  "responses": {"200": {"description": "Metric families", "content": {"text/plain": {"schema": {"type": "string"}}}}}}
        },
        "/api/v1/health": {
          "get": {"summary": "Broker, orchestrator (active, standby or unreachable; lease holder and term) and store", "security": [],
                  "responses": {"200": {"description": "The report", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}
        },
        "/api/v1/openapi.json": {
          "get": {"summary": "This document", "security": [],
                  "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}
        },
        "/api/v1/workflows": {
          "get": {"summary": "The workflows the orchestrator runs", "responses": {
            "200": {"description": "Workflows and any problems of their files", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkflowList"}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}, "503": {"$ref": "#/components/responses/Unavailable"}}}
        },
        "/api/v1/workflows/{name}": {
          "get": {"summary": "One workflow: its steps, inputs, version and file", "parameters": [{"$ref": "#/components/parameters/WorkflowName"}], "responses": {
            "200": {"description": "The workflow with its current definition (YAML) and its stored versions, newest first", "content": {"application/json": {"schema": {"allOf": [
              {"$ref": "#/components/schemas/Workflow"},
              {"type": "object", "required": ["versions"], "properties": {"definition": {"type": "string"},
                "versions": {"type": "array", "items": {"type": "object", "required": ["version", "fingerprint", "createdAt"], "properties": {
                  "version": {"type": "integer"}, "fingerprint": {"type": "string"}, "createdAt": {"type": "string", "format": "date-time"}}}}}}]}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/workflows/{name}/runs": {
          "post": {"summary": "Start a run", "parameters": [{"$ref": "#/components/parameters/WorkflowName"}],
                   "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StartRun"}}}},
                   "responses": {
                     "200": {"description": "Submitted before with this id: the run it started", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
                     "201": {"description": "The run, pending or queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
                     "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                     "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/runs": {
          "get": {"summary": "Runs, newest first", "parameters": [
                    {"name": "workflow", "in": "query", "description": "A workflow the files or the history know (404 otherwise, with the nearest name)", "schema": {"type": "string"}},
                    {"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/RunStatus"}},
                    {"name": "since", "in": "query", "description": "ISO 8601 time, or a duration back from now (30m, 2h, 7d)", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}},
                    {"name": "cursor", "in": "query", "description": "The `next` of the previous page", "schema": {"type": "string"}},
                    {"name": "tag", "in": "query", "description": "NAME=VALUE; repeat for several (all must match)", "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": true}],
                  "responses": {
                    "200": {"description": "A page of runs", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunPage"}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/runs/{id}": {
          "get": {"summary": "A run with its steps, attempts, transitions, children and gate skips", "parameters": [{"$ref": "#/components/parameters/RunID"}], "responses": {
            "200": {"description": "The run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunDetail"}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/runs/{id}/cancel": {
          "post": {"summary": "Cancel a run", "parameters": [{"$ref": "#/components/parameters/RunID"}],
                   "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}},
                   "responses": {
                     "200": {"description": "The cancelled run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
                     "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"},
                     "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/runs/{id}/retry": {
          "post": {"summary": "Retry an ended run as a new run linked to it: steps that succeeded and are not downstream of `from` keep their outputs and do not run again",
                   "parameters": [{"$ref": "#/components/parameters/RunID"}],
                   "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {
                     "from": {"type": "array", "items": {"type": "string"}, "description": "Steps to run again (default: those that did not succeed)"},
                     "input": {"description": "Replaces the old run's input"}, "latest": {"type": "boolean", "description": "Run the workflow's latest version"}}}}}},
                   "responses": {
                     "201": {"description": "The new run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
                     "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                     "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/runs/{id}/pause": {
          "post": {"summary": "Pause a running run: nothing new is dispatched (attempts in flight finish, retry timers hold); timeouts keep counting",
                   "parameters": [{"$ref": "#/components/parameters/RunID"}],
                   "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}},
                   "responses": {
                     "200": {"description": "The paused run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
                     "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"},
                     "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/runs/{id}/resume": {
          "post": {"summary": "Resume a paused run", "parameters": [{"$ref": "#/components/parameters/RunID"}],
                   "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}},
                   "responses": {
                     "200": {"description": "The run, running again", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
                     "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"},
                     "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/runs/{id}/signals/{name}": {
          "post": {"summary": "Send a signal to a run: the step waiting for it (wait_for) succeeds with the data as its output; one sent before its step is reached is kept for it",
                   "parameters": [{"$ref": "#/components/parameters/RunID"}, {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                   "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {}}}}}},
                   "responses": {
                     "200": {"description": "Stored; `step` names the step that took it, absent when it is kept", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignalReceipt"}}}},
                     "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                     "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/schedules": {
          "get": {"summary": "Schedules with their next fire, last tick, misses and skips", "responses": {
            "200": {"description": "Schedules", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScheduleList"}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}}}
        },
        "/api/v1/schedules/{name}/pause": {
          "post": {"summary": "Pause a schedule (ticks are skipped until resumed)", "parameters": [{"$ref": "#/components/parameters/ScheduleName"}],
                   "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}},
                   "responses": {
                     "200": {"description": "The schedule afterwards", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Schedule"}}}},
                     "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/schedules/{name}/resume": {
          "post": {"summary": "Resume a paused schedule", "parameters": [{"$ref": "#/components/parameters/ScheduleName"}],
                   "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}},
                   "responses": {
                     "200": {"description": "The schedule afterwards", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Schedule"}}}},
                     "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/schedules/{name}/trigger": {
          "post": {"summary": "Start a run of the schedule's workflow now", "parameters": [{"$ref": "#/components/parameters/ScheduleName"}],
                   "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}},
                   "responses": {
                     "200": {"description": "The schedule afterwards", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Schedule"}}}},
                     "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/schedules/{name}/ticks": {
          "get": {"summary": "A schedule's recent ticks, newest first: started, buffered, skipped, missed or duplicate, each with its reason and run", "parameters": [
                    {"$ref": "#/components/parameters/ScheduleName"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20}}],
                  "responses": {
                    "200": {"description": "The ticks", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TickList"}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/triggers": {
          "get": {"summary": "Event-triggered workflows: each trigger's event, condition, dedupe key and firings by outcome", "responses": {
            "200": {"description": "Triggers", "content": {"application/json": {"schema": {"type": "object", "required": ["triggers"], "properties": {
              "triggers": {"type": "array", "items": {"type": "object", "required": ["workflow", "event", "enabled", "counts"], "properties": {
                "workflow": {"type": "string"}, "event": {"type": "string"}, "when": {"type": "string"}, "dedupe": {"type": "string"},
                "enabled": {"type": "boolean"}, "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                "last": {"$ref": "#/components/schemas/Firing"}}}}}}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}}}
        },
        "/api/v1/triggers/{name}/firings": {
          "get": {"summary": "A workflow's recent trigger firings, newest first: started, filtered, duplicate or refused, with why and the run", "parameters": [
                    {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}}],
                  "responses": {
                    "200": {"description": "Firings", "content": {"application/json": {"schema": {"type": "object", "required": ["firings"], "properties": {
                      "firings": {"type": "array", "items": {"$ref": "#/components/schemas/Firing"}}}}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/agents": {
          "get": {"summary": "The broker's directory: agents and capabilities", "responses": {
            "200": {"description": "The directory", "content": {"application/json": {"schema": {"type": "object", "required": ["agents", "capabilities"]}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}}}
        },
        "/api/v1/groups": {
          "get": {"summary": "Named groups with their members, leader and term", "responses": {
            "200": {"description": "Groups", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GroupList"}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}}}
        },
        "/api/v1/groups/{name}": {
          "get": {"summary": "A group's members, leadership and recent decisions", "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {
            "200": {"description": "The group", "content": {"application/json": {"schema": {"type": "object", "required": ["name", "members", "decisions"]}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/events": {
          "get": {"summary": "Server-Sent Events: run and step transitions, schedule ticks, agents joining and leaving, coordination decisions, live", "parameters": [
                    {"name": "workflow", "in": "query", "schema": {"type": "string"}},
                    {"name": "run", "in": "query", "schema": {"type": "string"}},
                    {"name": "topics", "in": "query", "description": "Comma-separated topic prefixes (workflow., step., schedule., agent., coordination.)", "schema": {"type": "string"}},
                    {"name": "token", "in": "query", "description": "The bearer token, for clients that cannot set headers (EventSource)", "schema": {"type": "string"}}],
                  "responses": {
                    "200": {"description": "text/event-stream: each event is `event: KIND` (the topic's first two parts, e.g. step.succeeded) and `data: {topic, run, workflow, at, data}`", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                    "401": {"$ref": "#/components/responses/Unauthorized"}, "503": {"$ref": "#/components/responses/Unavailable"}}}
        },
        "/api/v1/queue": {
          "get": {"summary": "Runs waiting for a slot, steps waiting for a resource, and who holds each resource", "responses": {
            "200": {"description": "The queue", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queue"}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}}}
        }
      },
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": {
          "WorkflowName": {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
          "RunID": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
          "ScheduleName": {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}
        },
        "responses": {
          "BadRequest": {"description": "The input is wrong (the message says where)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Unauthorized": {"description": "No token, or not the colony's", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "NotFound": {"description": "No such thing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Conflict": {"description": "Not in a state that allows it (a run that already ended)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Unavailable": {"description": "No orchestrator answers on the bus", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
          "RunStatus": {"type": "string", "enum": ["pending", "running", "paused", "completed", "failed", "cancelled"]},
          "Run": {"type": "object", "required": ["id", "workflow", "status", "input", "priority", "createdAt"], "properties": {
            "id": {"type": "string"}, "workflow": {"type": "string"}, "version": {"type": "integer"},
            "status": {"$ref": "#/components/schemas/RunStatus"}, "input": {}, "output": {},
            "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
            "priority": {"type": "integer"}, "schedule": {"type": "string"}, "scheduledAt": {"type": "string", "format": "date-time"},
            "createdAt": {"type": "string", "format": "date-time"}, "startedAt": {"type": "string", "format": "date-time"},
            "finishedAt": {"type": "string", "format": "date-time"}, "parentRun": {"type": "string"}, "parentStep": {"type": "string"},
            "retryOf": {"type": "string", "description": "The run this one retries"},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}}}},
          "RunPage": {"type": "object", "required": ["runs"], "properties": {"runs": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}},
                      "next": {"type": "string", "description": "Present when more runs follow: pass it as cursor"}}},
          "RunDetail": {"type": "object", "required": ["run", "steps", "attempts", "transitions", "waiting", "skipped", "children"], "properties": {
            "run": {"$ref": "#/components/schemas/Run"}, "steps": {"type": "array", "items": {"type": "object"}},
            "attempts": {"type": "array", "items": {"type": "object"}}, "transitions": {"type": "array", "items": {"type": "object"}},
            "waiting": {"type": "array", "items": {"type": "string"}}, "skipped": {"type": "array", "items": {"type": "object"}},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}},
            "retries": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}}}},
          "StartRun": {"type": "object", "properties": {"input": {}, "priority": {"type": "integer"},
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_:-]{1,100}$", "description": "The run's id: submitting again with it returns that run (200) instead of starting another"},
            "tags": {"type": "object", "maxProperties": 20, "additionalProperties": {"type": "string", "maxLength": 256}, "description": "Labels to find the run by in GET /runs?tag=NAME=VALUE"}}},
          "Reason": {"type": "object", "properties": {"reason": {"type": "string"}}},
          "Workflow": {"type": "object", "required": ["name", "version", "enabled", "steps", "inputs"], "properties": {
            "name": {"type": "string"}, "description": {"type": "string"}, "version": {"type": "integer"}, "fingerprint": {"type": "string"},
            "enabled": {"type": "boolean"}, "steps": {"type": "array", "items": {"type": "string"}}, "inputs": {"type": "array", "items": {"type": "string"}},
            "file": {"type": "string"}, "line": {"type": "integer"},
            "graph": {"type": "array", "items": {"type": "object", "required": ["id", "dependsOn", "handler"], "properties": {
              "id": {"type": "string"}, "capability": {"type": "string"}, "workflow": {"type": "string"},
              "dependsOn": {"type": "array", "items": {"type": "string"}}, "handler": {"type": "boolean"}}}}}},
          "WorkflowList": {"type": "object", "required": ["workflows", "problems"], "properties": {
            "workflows": {"type": "array", "items": {"$ref": "#/components/schemas/Workflow"}}, "problems": {"type": "array", "items": {"type": "string"}}}},
          "Schedule": {"type": "object", "required": ["name", "workflow", "paused"], "properties": {
            "name": {"type": "string"}, "workflow": {"type": "string"}, "trigger": {"type": "string"}, "paused": {"type": "boolean"},
            "nextFire": {"type": "string", "format": "date-time"}, "lastTick": {"type": "string", "format": "date-time"},
            "missed": {"type": "integer"}, "skipped": {"type": "integer"}}},
          "ScheduleList": {"type": "object", "required": ["schedules"], "properties": {"schedules": {"type": "array", "items": {"$ref": "#/components/schemas/Schedule"}}}},
          "TickList": {"type": "object", "required": ["ticks"], "properties": {"ticks": {"type": "array", "items": {"type": "object",
            "required": ["schedule", "scheduledAt", "outcome", "decidedAt"], "properties": {
              "schedule": {"type": "string"}, "scheduledAt": {"type": "string", "format": "date-time"},
              "outcome": {"type": "string", "enum": ["started", "buffered", "skipped", "missed", "duplicate"]}, "reason": {"type": "string"},
              "runID": {"type": "string"}, "decidedAt": {"type": "string", "format": "date-time"}, "startedAt": {"type": "string", "format": "date-time"}}}}}},
          "SignalReceipt": {"type": "object", "required": ["id", "run", "signal", "sentAt"], "properties": {
            "id": {"type": "string"}, "run": {"type": "string"}, "signal": {"type": "string"}, "step": {"type": "string"},
            "sentAt": {"type": "string", "format": "date-time"}}},
          "Firing": {"type": "object", "required": ["workflow", "topic", "outcome", "at"], "properties": {
            "id": {"type": "integer"}, "workflow": {"type": "string"}, "topic": {"type": "string"},
            "outcome": {"type": "string", "enum": ["started", "filtered", "duplicate", "refused"]}, "reason": {"type": "string"},
            "dedupeKey": {"type": "string"}, "runID": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}},
          "StepReference": {"type": "object", "required": ["run", "step"], "properties": {"run": {"type": "string"}, "step": {"type": "string"}}},
          "Queue": {"type": "object", "required": ["runs", "steps"], "properties": {
            "runs": {"type": "array", "items": {"type": "object", "required": ["run", "workflow", "priority", "createdAt", "reason"], "properties": {
              "run": {"type": "string"}, "workflow": {"type": "string"}, "priority": {"type": "integer"}, "createdAt": {"type": "string", "format": "date-time"},
              "reason": {"type": "string"}}}},
            "steps": {"type": "array", "items": {"type": "object", "required": ["run", "step", "resources", "priority", "reason"], "properties": {
              "run": {"type": "string"}, "step": {"type": "string"}, "resources": {"type": "array", "items": {"type": "string"}},
              "priority": {"type": "integer"}, "reason": {"type": "string"}}}},
            "paused": {"type": "array", "items": {"type": "object", "required": ["run", "workflow"], "properties": {
              "run": {"type": "string"}, "workflow": {"type": "string"}, "since": {"type": "string", "format": "date-time"}, "reason": {"type": "string"}}}},
            "resources": {"type": "array", "items": {"type": "object", "required": ["resource", "capacity", "holders"], "properties": {
              "resource": {"type": "string"}, "capacity": {"type": "integer"},
              "holders": {"type": "array", "items": {"$ref": "#/components/schemas/StepReference"}}}}}}},
          "GroupList": {"type": "object", "required": ["groups"], "properties": {"groups": {"type": "array", "items": {"type": "object", "required": ["name", "members"], "properties": {
            "name": {"type": "string"}, "members": {"type": "integer"}, "leader": {"type": "string"}, "term": {"type": "integer"}}}}}},
          "Health": {"type": "object", "required": ["status", "broker", "orchestrator", "store"], "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "broker": {"type": "object", "required": ["reachable"]},
            "orchestrator": {"type": "object", "required": ["state", "answering"], "properties": {"state": {"type": "string", "enum": ["active", "standby", "unreachable"]}}},
            "store": {"type": "object", "required": ["path", "readable"]}}}
        }
      }
    }
    """#
}
