"""Taxonomies and journeys as data: the shipped defaults, and every bad field named by its path."""

from __future__ import annotations

from functools import partial

import pytest

from voc.alerts.webhooks import webhook_url_problem
from voc.config import Limits
from voc.nlp.fields import InvalidFieldError
from voc.nlp.journey import load_default_journey, parse_journey
from voc.nlp.taxonomy import load_default_taxonomy, parse_taxonomy, taxonomy_to_dict

LIMITS = Limits()
JOURNEY = load_default_journey()


def cause(**fields) -> dict:
    return {"id": "late", "label": "Late delivery", "touchpoint": "delivery", **fields}


def taxonomy_error(raw: dict, limits: Limits = LIMITS) -> InvalidFieldError:
    with pytest.raises(InvalidFieldError) as info:
        parse_taxonomy(raw, limits=limits, journey=JOURNEY)
    return info.value


def refuse_private(url: str) -> str | None:
    """The service's webhook policy with private addresses refused (the default setting)."""
    return webhook_url_problem(url, allow_private=False)


def journey_error(raw: dict) -> InvalidFieldError:
    with pytest.raises(InvalidFieldError) as info:
        parse_journey(raw, limits=LIMITS, check_webhook_url=refuse_private)
    return info.value


def test_default_journey_covers_the_stages():
    assert set(JOURNEY.touchpoint_ids) == {
        "awareness",
        "website_app",
        "ordering",
        "payment",
        "delivery",
        "product_use",
        "support",
        "returns",
        "renewal_cancellation",
        "brand",
    }
    assert all(t.description and len(t.examples) >= 8 and t.owner for t in JOURNEY.touchpoints)


def test_default_taxonomy_is_valid_and_uses_every_stage_it_needs():
    taxonomy = load_default_taxonomy(JOURNEY)
    assert 20 <= len(taxonomy.root_causes) <= 30
    assert taxonomy.key == "default@1"
    for c in taxonomy.root_causes:
        assert c.description and len(c.examples) >= 8, c.id
        assert JOURNEY.touchpoint(c.touchpoint) is not None
    ids = {c.id for c in taxonomy.root_causes}
    assert {"late_delivery", "damaged_item", "hidden_fees", "refund_delay", "rude_staff"} <= ids


def test_round_trip_through_the_api_shape():
    taxonomy = load_default_taxonomy(JOURNEY)
    again = parse_taxonomy(
        taxonomy_to_dict(taxonomy), limits=LIMITS, journey=JOURNEY, version=taxonomy.version
    )
    assert again == taxonomy


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"id": "t", "root_causes": [cause(), cause()]}, "root_causes[1].id"),
        ({"id": "t", "root_causes": [cause(touchpoint="flight")]}, "root_causes[0].touchpoint"),
        ({"id": "t", "root_causes": [cause(label="  ")]}, "root_causes[0].label"),
        ({"id": "t", "root_causes": [cause(label=None)]}, "root_causes[0].label"),
        ({"id": "t", "root_causes": [cause(id="Late Delivery!")]}, "root_causes[0].id"),
        ({"id": "t", "root_causes": [cause(examples="late")]}, "root_causes[0].examples"),
        ({"id": "t", "root_causes": [cause(examples=["ok", 3])]}, "root_causes[0].examples[1]"),
        ({"id": "t", "root_causes": [cause(colour="red")]}, "root_causes[0].colour"),
        ({"id": "t", "root_causes": []}, "root_causes"),
        ({"id": "t"}, "root_causes"),
        ({"id": "t", "root_causes": ["late"]}, "root_causes[0]"),
        ({"id": "T T", "root_causes": [cause()]}, "id"),
    ],
)
def test_bad_taxonomy_fields_are_named(raw, path):
    assert taxonomy_error(raw).path == path


def test_limits_on_size_are_enforced():
    too_many = [cause(id=f"c{i}") for i in range(LIMITS.max_root_causes_per_taxonomy + 1)]
    error = taxonomy_error({"id": "t", "root_causes": too_many})
    assert error.path == "root_causes" and str(LIMITS.max_root_causes_per_taxonomy) in str(error)
    examples = ["late again"] * (LIMITS.max_examples_per_item + 1)
    assert taxonomy_error({"id": "t", "root_causes": [cause(examples=examples)]}).path == (
        "root_causes[0].examples"
    )
    long_example = ["x" * (LIMITS.max_example_characters + 1)]
    assert taxonomy_error({"id": "t", "root_causes": [cause(examples=long_example)]}).path == (
        "root_causes[0].examples[0]"
    )
    small = Limits(max_label_characters=5)
    assert taxonomy_error({"id": "t", "root_causes": [cause()]}, small).path == (
        "root_causes[0].label"
    )


def test_url_id_and_body_id_must_agree():
    with pytest.raises(InvalidFieldError) as info:
        parse_taxonomy(
            {"id": "other", "root_causes": [cause()]},
            limits=LIMITS,
            journey=JOURNEY,
            taxonomy_id="mine",
        )
    assert info.value.path == "id"
    taxonomy = parse_taxonomy(
        {"root_causes": [cause()]}, limits=LIMITS, journey=JOURNEY, taxonomy_id="mine"
    )
    assert taxonomy.id == "mine" and taxonomy.name == "mine"


def test_inline_keys_differ_by_content():
    first = parse_taxonomy({"id": "t", "root_causes": [cause()]}, limits=LIMITS, journey=JOURNEY)
    second = parse_taxonomy(
        {"id": "t", "root_causes": [cause(label="Late parcel")]}, limits=LIMITS, journey=JOURNEY
    )
    assert first.key.startswith("t@inline-") and first.key != second.key


def touchpoint(**fields) -> dict:
    return {"id": "order", "label": "Order", **fields}


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"id": "j", "touchpoints": [touchpoint(), touchpoint()]}, "touchpoints[1].id"),
        ({"id": "j", "touchpoints": [touchpoint(label="")]}, "touchpoints[0].label"),
        ({"id": "j", "touchpoints": [touchpoint(owner={})]}, "touchpoints[0].owner.name"),
        (
            {"id": "j", "touchpoints": [touchpoint(owner={"name": "Ops", "email": "nope"})]},
            "touchpoints[0].owner.email",
        ),
        (
            {
                "id": "j",
                "touchpoints": [
                    touchpoint(owner={"name": "Ops", "webhook_url": "ftp://example.com/hook"})
                ],
            },
            "touchpoints[0].owner.webhook_url",
        ),
        (
            {
                "id": "j",
                "touchpoints": [
                    touchpoint(owner={"name": "Ops", "webhook_url": "http://127.0.0.1:9000/h"})
                ],
            },
            "touchpoints[0].owner.webhook_url",
        ),
    ],
)
def test_bad_journey_fields_are_named(raw, path):
    assert journey_error(raw).path == path


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_webhook_hosts_are_refused_unless_allowed(url):
    assert "private" in webhook_url_problem(url, allow_private=False)
    assert webhook_url_problem(url, allow_private=True) is None


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "https://user:pw@example.com/h", "http://"]
)
def test_other_schemes_and_credentials_are_refused_always(url):
    assert webhook_url_problem(url, allow_private=True) is not None


def test_public_webhook_and_allowed_private_webhook_are_kept():
    owner = {"name": "Ops", "email": "ops@example.com", "webhook_url": "https://example.com/h"}
    journey = parse_journey(
        {"id": "j", "touchpoints": [touchpoint(owner=owner)]},
        limits=LIMITS,
        check_webhook_url=refuse_private,
    )
    assert journey.touchpoints[0].owner.webhook_url == "https://example.com/h"
    local = {"name": "Ops", "webhook_url": "http://127.0.0.1:9000/h"}
    journey = parse_journey(
        {"id": "j", "touchpoints": [touchpoint(owner=local)]},
        limits=LIMITS,
        check_webhook_url=partial(webhook_url_problem, allow_private=True),
    )
    assert journey.touchpoints[0].owner.webhook_url == "http://127.0.0.1:9000/h"


def test_a_pinned_taxonomy_and_journey_are_rebuilt_as_validated_under_raised_limits():
    """A job pins what the service validated (here under limits raised past the defaults);
    the worker rebuilds it as stored (`analyze_batch`), so every document of the job is
    analysed with it; validating it again under the default limits would refuse it."""
    from voc.nlp.journey import journey_from_dict, journey_to_dict
    from voc.nlp.taxonomy import taxonomy_from_dict

    raised = Limits(max_root_causes_per_taxonomy=300, max_touchpoints_per_journey=150)
    journey = parse_journey(
        {
            "id": "big",
            "touchpoints": [
                {
                    "id": f"t{i}",
                    "label": f"Touchpoint {i}",
                    "owner": {"name": "Ops", "webhook_url": "https://hooks.example.com/x"},
                }
                for i in range(150)
            ],
        },
        limits=raised,
        version=3,
    )
    taxonomy = parse_taxonomy(
        {
            "id": "big",
            "journey": "big",
            "root_causes": [
                cause(id=f"c{i}", label=f"Cause {i}", touchpoint=f"t{i % 150}") for i in range(300)
            ],
        },
        limits=raised,
        journey=journey,
        version=2,
    )
    with pytest.raises(InvalidFieldError):
        parse_taxonomy(taxonomy_to_dict(taxonomy), limits=Limits(), journey=None)
    assert taxonomy_from_dict(taxonomy_to_dict(taxonomy)) == taxonomy
    assert journey_from_dict(journey_to_dict(journey)) == journey
