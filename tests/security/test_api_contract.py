"""The OpenAPI contract: every operation documents its error responses with the one error body, query
parameters carry their real constraints, and the error handler gives that body for every error."""

import pytest
import yaml

from quota_portal.errors import flatten_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    r = client.get("/api/schema/")
    assert r.status_code == 200
    return yaml.safe_load(r.content)


def _operations(schema):
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            yield path, method.upper(), op


def test_every_operation_documents_its_errors_with_the_one_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"} and "errors" in error["properties"]
    n = 0
    for path, method, op in _operations(schema):
        n += 1
        codes = set(op["responses"])
        for code in codes - {"200", "201", "204"}:
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error", (method, path, code)
        assert "400" in codes, (method, path)
        if path == "/api/v1/auth/token/":
            assert codes >= {"400", "429"} and not codes & {"401", "404", "409"}
            continue
        if path == "/api/v1/invitations/accept/":  # no login: the single-use token in the body is the credential
            assert "401" not in codes, (method, path)
            continue
        assert codes >= {"401", "403", "404"}, (method, path)
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            assert codes >= {"409", "429"}, (method, path)  # state conflicts; the per-user write throttle
        else:
            assert not codes & {"409", "429"}, (method, path)  # reads are not throttled and change no state
    assert n >= 40


def test_query_parameters_carry_their_constraints(schema):
    seen = set()
    for path, _method, op in _operations(schema):
        for p in op.get("parameters", []):
            if p["in"] == "query" and p["name"] == "year":
                assert (p["schema"]["minimum"], p["schema"]["maximum"]) == (2000, 2100), path
                seen.add("year")
            if p["in"] == "query" and p["name"] == "month":
                assert (p["schema"]["minimum"], p["schema"]["maximum"]) == (1, 12), path
                seen.add("month")
            if p["in"] == "query" and p["name"] == "page":
                assert p["schema"]["minimum"] == 1
    assert seen == {"year", "month"}
    levels = [p for p in schema["paths"]["/api/v1/summaries/"]["get"]["parameters"] if p["name"] == "level"]
    assert sorted(levels[0]["schema"]["enum"]) == ["city", "county", "ministry", "province"]


def test_every_error_has_the_one_body(demo_orgs, api):
    anonymous = api(None).get("/api/v1/reports/")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    missing = api("huamei_filer").get("/api/v1/reports/999999/")
    assert missing.status_code == 404 and missing.json() == {"detail": missing.json()["detail"], "code": "not_found"}
    bad = api("huamei_filer").post("/api/v1/reports/", {"production": [{"tonnes": "x"}]}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in bad.json()["errors"].values())


def test_nested_serializer_errors_become_field_paths():
    assert flatten_errors({"lines": [{}, {"tonnes": ["bad"]}], "year": ["required"]}) == {
        "lines[1].tonnes": ["bad"], "year": ["required"]}
    assert flatten_errors(["whole body"]) == {"non_field_errors": ["whole body"]}
    assert flatten_errors({"tags": {0: ["bad"]}}) == {"tags[0]": ["bad"]}
