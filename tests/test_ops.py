"""Operations endpoints and the OpenAPI document staying true to the app."""

from __future__ import annotations

import json
import re


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.get_json()["model_versions"]) >= {"encoder", "sentiment", "language"}


def test_metrics_count_requests_and_documents(client):
    client.post("/v1/analyze", json={"documents": [{"id": "a", "text": "merci, parfait"}]})
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(
        r'voc_http_requests_total\{endpoint="/v1/analyze",method="POST",status="200"\} \d', text
    )
    assert re.search(r'voc_documents_analyzed_total\{outcome="analyzed"\} [1-9]', text)


def test_every_route_is_documented_and_nothing_else(app, client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert routes == documented


def test_served_document_is_the_one_schemas_are_checked_against(client, settings):
    from voc.service.openapi import openapi_document

    served = client.get("/openapi.json").get_json()
    assert served == json.loads(json.dumps(openapi_document(settings)))


def test_responses_validate_against_the_documented_schemas(client, validate_schema):
    body = client.post(
        "/v1/analyze",
        json={
            "documents": [{"id": "a", "text": "Top ! Mais trop cher."}, {"id": "b", "text": " "}]
        },
    ).get_json()
    validate_schema("AnalyzeResponse", body)
    validate_schema("Limits", client.get("/v1/limits").get_json())
    validate_schema("Error", client.get("/nowhere").get_json())
    assert body["errors"] and body["documents"][0]["sentences"]


def test_docs_page_lists_the_endpoints(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "/v1/analyze" in page and "AnalyzeResponse" in page
