"""API keys, scopes, tenants and the cross-site guard, on a real app with its own database."""

from __future__ import annotations

import io
import time

from voc.service.auth import MODE_CACHE_S, Guard, KeyStore, RateLimiter
from voc.storage import create_schema, make_engine

DOCS = {"documents": [{"id": "a", "text": "Great service, thank you"}], "features": ["language"]}


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code


def test_open_on_loopback_without_keys_and_never_cross_site(secured):
    client = secured.test_client()
    assert client.get("/readyz").get_json()["auth"].startswith("open")
    assert client.post("/v1/analyze", json=DOCS).status_code == 200
    _error(client.get("/v1/jobs", headers={"Host": "rebound.example"}), 403, "Forbidden")
    upload = {"file": (io.BytesIO(b"id,text\na,hello\n"), "x.csv")}
    cross = client.post(
        "/v1/jobs",
        data=upload,
        content_type="multipart/form-data",
        headers={"Origin": "https://evil.example"},
    )
    _error(cross, 403, "CrossOrigin")
    _error(
        client.post("/v1/models/sentiment/rollback", headers={"Sec-Fetch-Site": "cross-site"}),
        403,
        "CrossOrigin",
    )
    same = client.post("/v1/analyze", json=DOCS, headers={"Origin": "http://localhost"})
    assert same.status_code == 200


def test_keys_are_required_once_one_exists_and_tenants_never_meet(secured):
    client = secured.test_client()
    keys = KeyStore(secured.extensions["voc"].engine)
    _, alpha = keys.create("alpha", ["analyze", "jobs"])
    _, beta = keys.create("beta", ["jobs"])
    _, ops = keys.create("ops", ["configure"])
    _, admin = keys.create("ops", ["admin"])
    revoked_id, revoked = keys.create("alpha", ["analyze"])
    assert keys.revoke(revoked_id)
    time.sleep(MODE_CACHE_S + 0.1)

    def auth(key: str) -> dict:
        return {"Authorization": f"Bearer {key}"}

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").get_json()["auth"] == "api_keys"
    missing = client.post("/v1/analyze", json=DOCS)
    _error(missing, 401, "Unauthorized")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    _error(client.post("/v1/analyze", json=DOCS, headers=auth("voc_x_y")), 401, "Unauthorized")
    _error(client.post("/v1/analyze", json=DOCS, headers=auth(revoked)), 401, "Unauthorized")
    assert client.post("/v1/analyze", json=DOCS, headers=auth(alpha)).status_code == 200
    assert client.post("/v1/analyze", json=DOCS, headers={"X-API-Key": alpha}).status_code == 200
    _error(client.post("/v1/analyze", json=DOCS, headers=auth(beta)), 403, "Forbidden")
    _error(client.post("/v1/models/sentiment/rollback", headers=auth(alpha)), 403, "Forbidden")
    _error(client.get("/v1/alerts", headers=auth(alpha)), 403, "Forbidden")
    assert client.get("/v1/alerts", headers=auth(ops)).status_code == 200
    _error(client.put("/v1/journeys/j", json={}, headers=auth(alpha)), 403, "Forbidden")
    assert client.get("/v1/journeys", headers=auth(alpha)).status_code == 200

    idempotent = {**auth(alpha), "Idempotency-Key": "same-key"}
    job_id = client.post("/v1/jobs", json=DOCS, headers=idempotent).get_json()["job_id"]
    assert client.get(f"/v1/jobs/{job_id}", headers=auth(alpha)).status_code == 200
    for path in ("", "/results", "/report.json", "/report"):
        _error(client.get(f"/v1/jobs/{job_id}{path}", headers=auth(beta)), 404, "JobNotFound")
    _error(client.post(f"/v1/jobs/{job_id}/stop", headers=auth(beta)), 404, "JobNotFound")
    assert client.get("/v1/jobs", headers=auth(beta)).get_json()["jobs"] == []
    listed = client.get("/v1/jobs", headers=auth(alpha)).get_json()["jobs"]
    assert [j["job_id"] for j in listed] == [job_id]
    theirs = client.post(
        "/v1/jobs", json=DOCS, headers={**auth(beta), "Idempotency-Key": "same-key"}
    )
    assert theirs.status_code == 202 and theirs.get_json()["job_id"] != job_id
    fit = {"job_id": job_id}
    _error(client.post("/v1/topics/fit", json=fit, headers=auth(ops)), 403, "Forbidden")
    _error(client.post("/v1/topics/fit", json=fit, headers=auth(admin)), 404, "JobNotFound")


def test_beyond_loopback_keys_are_required_even_when_none_exists(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'voc.sqlite3'}")
    create_schema(engine)
    guard = Guard(KeyStore(engine), RateLimiter(engine, 0, 1))
    guard.listening_on("127.0.0.1")
    assert guard.is_open()
    guard.listening_on("0.0.0.0")
    assert not guard.is_open()


def test_openapi_declares_the_security_it_enforces(client):
    spec = client.get("/openapi.json").get_json()
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    analyze = spec["paths"]["/v1/analyze"]["post"]
    assert {"bearer": []} in analyze["security"]
    assert {"401", "403"} <= set(analyze["responses"])


def test_alerts_belong_to_the_tenant_whose_analysis_raised_them(secured):
    client = secured.test_client()
    keys = KeyStore(secured.extensions["voc"].engine)
    _, analyst = keys.create("gamma", ["analyze"])
    _, gamma_ops = keys.create("gamma", ["configure"])
    _, other_ops = keys.create("delta", ["configure"])
    time.sleep(MODE_CACHE_S + 0.1)
    rules = {"rules": [{"id": "churn", "when": {"churn_risk_at_least": 0.5}}]}
    headers = {"X-API-Key": gamma_ops}
    assert client.put("/v1/alert-rules", json=rules, headers=headers).status_code == 200
    churn = "Paket telat 2 minggu, saya mau pindah ke toko lain, gak mau beli lagi."
    body = {"documents": [{"id": "c", "text": churn}], "features": ["sentiment", "churn_risk"]}
    assert client.post("/v1/analyze", json=body, headers={"X-API-Key": analyst}).status_code == 200
    deadline = time.monotonic() + 30
    while True:
        mine = client.get("/v1/alerts", headers={"X-API-Key": gamma_ops}).get_json()
        if mine["total"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [a["document_id"] for a in mine["alerts"]] == ["c"]
    theirs = client.get("/v1/alerts", headers={"X-API-Key": other_ops}).get_json()
    assert theirs["total"] == 0 and theirs["alerts"] == []


def test_each_key_is_rate_limited_alone(secured):
    client = secured.test_client()
    keys = KeyStore(secured.extensions["voc"].engine)
    _, busy = keys.create("epsilon", ["jobs"])
    _, calm = keys.create("epsilon", ["jobs"])
    time.sleep(MODE_CACHE_S + 0.1)
    guard = secured.extensions["voc"].guard
    saved, guard.limiter = guard.limiter, RateLimiter(guard.keys.engine, rate=1, burst=2)
    try:
        statuses = [client.get("/v1/jobs", headers={"X-API-Key": busy}) for _ in range(3)]
        other = client.get("/v1/jobs", headers={"X-API-Key": calm})
    finally:
        guard.limiter = saved
    assert [r.status_code for r in statuses] == [200, 200, 429]
    _error(statuses[2], 429, "RateLimited")
    assert statuses[2].headers["Retry-After"] == "1"
    assert other.status_code == 200
