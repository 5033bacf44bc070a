"""The HTTP API keeps the promise of its OpenAPI document, checked from outside against a real
`colony up`: the document is valid OpenAPI 3.1 (openapi-spec-validator), and for every operation
Schemathesis sends requests generated from the document (valid and invalid parameters and bodies,
with and without the token) and checks each answer: no server error, a status code the document
lists, its content type, and a body that matches the documented schema. Generation is
derandomized, so a run repeats the same requests."""
import json
import urllib.request

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (scripts/setup installs it)")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from openapi_spec_validator import validate  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

WORKFLOWS = """
workflows:
  - name: add
    inputs:
      a: {type: number}
      b: {type: number, default: 1}
    steps:
      - id: sum
        capability: math.add
        params: {a: "${input.a}", b: "${input.b}"}
  - name: on_event
    inputs: {n: {type: number}}
    trigger: {event: demo.event, input: {n: "${event.n}"}, dedupe: "${event.id}"}
    steps:
      - id: sum
        capability: math.add
        params: {a: "${input.n}", b: 1}
  - name: hourly
    schedule: {every: 1h}
    steps:
      - id: sum
        capability: math.add
        params: {a: 1, b: 2}
"""

#: The event stream never ends by itself; test_http_events follows it.
ENDLESS = {"/api/v1/events"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, ignored_auth]


def test_every_operation_answers_as_the_document_says(colony_up):
    up = colony_up(workflows=WORKFLOWS, agents="agents:\n  - name: math\n    run: math\n")
    up.wait_for("math.add")
    base, token = up.api()
    with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=30) as response:
        document = json.load(response)
    validate(document)

    # Something to find: a finished run and a tick, so ids and names in the answers are real.
    request = urllib.request.Request(f"{base}/api/v1/workflows/add/runs", data=b'{"input": {"a": 1}}', method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).close()

    schema = schemathesis.openapi.from_dict(document)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ENDLESS:
            continue

        @settings(max_examples=30, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        @given(case=operation.as_strategy())
        def answers_as_documented(case):
            case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=30)

        answers_as_documented()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 18, checked
