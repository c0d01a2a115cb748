"""Property-based API tests driven by the OpenAPI document (the role schemathesis plays):
for every read operation, parameters generated from its declared schema — valid, at the
edges and junk — never give a server error, and every answer is JSON in the promised shape."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.serve.conftest import Served

JUNK = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "-1", "0", "1e309", "NaN", "2026-13-45", "%00", "' OR 1=1 --", "\u202e"]),
)


def _value(schema: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
    options = schema.get("anyOf", [schema])
    typed = next((o for o in options if o.get("type") != "null"), {})
    kind = typed.get("type")
    if kind == "integer":
        low = typed.get("minimum", -(2**40))
        high = typed.get("maximum", 2**40)
        valid = st.integers(low, high).map(str)
        edges = st.sampled_from([str(low - 1), str(high + 1), str(2**64)])
        return st.one_of(valid, edges, JUNK)
    if typed.get("format") == "date-time":
        valid = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
            lambda d: d.isoformat()
        )
        return st.one_of(valid, JUNK)
    limit = typed.get("maxLength", 100)
    return st.one_of(
        st.text(min_size=typed.get("minLength", 0), max_size=limit),
        st.text(min_size=limit + 1, max_size=limit + 5),
        JUNK,
        st.sampled_from(["harbour", "minister", "story 3", '"NEAR(', "AND OR NOT"]),
    )


def operations(doc: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    out = []
    for path, methods in doc["paths"].items():
        if "get" in methods:
            out.append((path, methods["get"].get("parameters", [])))
    return out


def check(response: Any) -> None:
    assert response.status_code in (200, 400, 404), (response.status_code, response.text)
    body = response.json()
    if response.status_code == 200:
        assert isinstance(body, dict)
        if "items" in body:
            assert isinstance(body["items"], list)
    else:
        error = body["error"]
        assert error["status"] == response.status_code
        assert isinstance(error["message"], str) and error["message"]
        assert isinstance(error["details"], list)


def test_every_read_operation_holds_its_contract(served: Served) -> None:
    doc = served.client.get("/api/openapi.json").json()
    ops = operations(doc)
    assert len(ops) >= 5

    @st.composite
    def request(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
        path, params = draw(st.sampled_from(ops))
        query: dict[str, str] = {}
        for param in params:
            value = draw(_value(param["schema"], param["name"]))
            if param["in"] == "path":
                path = path.replace("{" + param["name"] + "}", quote(str(value), safe="") or "0")
            elif param.get("required") or draw(st.booleans()):
                query[param["name"]] = value
        return path, query

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(request())
    def run(req: tuple[str, dict[str, str]]) -> None:
        path, query = req
        check(served.client.get(path, params=query))

    run()
