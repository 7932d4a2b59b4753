"""A key's rate limit holds across two apps on one database (as two server processes are):
the requests both accept together stay within one bucket, not one bucket per app."""

from __future__ import annotations

import math
import time

from sqlalchemy import select

from voc.service.auth import MODE_CACHE_S, KeyStore
from voc.service.state import state
from voc.storage.rate_limits import rate_buckets

RATE = 2.0
BURST = 2 * RATE
REQUESTS = 24


def test_two_apps_on_one_database_share_each_keys_rate_limit(own_app):
    first = own_app(rate_limit_per_key=RATE, in_process_worker=False)
    database = state(first).settings.database_url
    second = own_app(database_url=database, rate_limit_per_key=RATE, in_process_worker=False)
    _, key = KeyStore(state(first).engine).create("zeta", ["jobs"])
    time.sleep(MODE_CACHE_S + 0.1)
    clients = [first.test_client(), second.test_client()]
    headers = {"X-API-Key": key}

    started = time.monotonic()
    answers = [clients[i % 2].get("/v1/jobs", headers=headers) for i in range(REQUESTS)]
    elapsed = time.monotonic() - started

    accepted = [i for i, a in enumerate(answers) if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    assert BURST <= len(accepted) <= math.floor(BURST + RATE * elapsed), (len(accepted), elapsed)
    assert {i % 2 for i in accepted} == {0, 1}  # both apps answered from the one bucket
    assert refused and {a.status_code for a in refused} == {429}
    error = refused[0].get_json()["error"]
    assert error["code"] == "RateLimited" and "2 requests per second" in error["message"]
    assert refused[0].headers["Retry-After"] == "1"


def test_revoking_a_key_drops_its_bucket(own_app):
    app = own_app(rate_limit_per_key=RATE, in_process_worker=False)
    engine = state(app).engine
    keys = KeyStore(engine)
    key_id, key = keys.create("zeta", ["jobs"])
    time.sleep(MODE_CACHE_S + 0.1)
    assert app.test_client().get("/v1/jobs", headers={"X-API-Key": key}).status_code == 200

    def bucket_keys() -> list[str]:
        with engine.connect() as connection:
            return list(connection.execute(select(rate_buckets.c.key)).scalars())

    assert bucket_keys() == [key_id]
    assert keys.revoke(key_id)
    assert bucket_keys() == []
