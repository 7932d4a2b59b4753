"""Alert rules as data: which analysed documents someone must act on, and whom to tell.

A rule is an id, a description and `when`, a set of conditions that must all hold:

  sentiment                  document sentiment label is one of these
  churn_risk_at_least        churn_risk.score >= this (0-1)
  root_causes                the document has one of these root causes
  touchpoints                the document is at one of these touchpoints
  expectation_gap_kinds      the document has an expectation gap of one of these kinds
  detractor                  metadata.score is a detractor score (nps <= 6, csat/stars5 <= 2,
                             ces <= 3) when true, or not when false
  customer_value_at_least    metadata.customer_value >= this
  emerging                   true: the rule matches emerging issues, not documents (below)

A condition on a feature the request did not compute does not hold. `route_to` (optional)
sends the alert to that touchpoint's owner instead of the document's own touchpoint.

Emerging issues: when a batch job completes (and again, without repeating an alert, when
its report is built), each root cause flagged as emerging (its last-period count
significantly above its baseline, the binomial test of `voc.report.comparisons`) is an
`EmergingIssue`, checked against the rules with
`emerging: true`, which may narrow it with `root_causes` and `touchpoints` (the cause's
touchpoint) and nothing else: the other conditions read one document. Such a rule never
matches a document, and a rule without it never matches an emerging issue.
The shipped rules are `voc/data/alert_rules.json`; `PUT /v1/alert-rules` replaces them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voc.nlp.fields import (
    ID_PATTERN,
    InvalidFieldError,
    check_unique,
    join,
    read_id,
    read_list,
    read_text,
    reject_unknown_keys,
    require_object,
)
from voc.nlp.types import DOCUMENT_SENTIMENT_LABELS, Analysis, Feedback

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "data" / "alert_rules.json"
MAX_RULES = 100
MAX_IDS_PER_CONDITION = 100
DETRACTOR_AT_MOST = {"nps": 6, "csat": 2, "stars5": 2, "ces": 3}
"""The highest score that still counts as a detractor, per `metadata.score_type`."""
ID_LIST_CONDITIONS = ("root_causes", "touchpoints", "expectation_gap_kinds")
CONDITIONS = (
    "sentiment",
    "churn_risk_at_least",
    *ID_LIST_CONDITIONS,
    "detractor",
    "customer_value_at_least",
    "emerging",
)
EMERGING_CONDITIONS = ("emerging", "root_causes", "touchpoints")
"""The conditions an emerging-issue rule may hold."""


@dataclass(frozen=True)
class AlertRule:
    id: str
    description: str
    when: dict[str, Any]
    route_to: str | None = None

    @property
    def emerging(self) -> bool:
        return self.when.get("emerging") is True


@dataclass(frozen=True)
class EmergingIssue:
    """A root cause significantly above its baseline in a job's last period (report.json
    `emerging.themes`), with the touchpoint its taxonomy ties it to."""

    cause: str
    label: str
    touchpoint: str | None
    period: str
    count: int
    period_comments: int
    share: float
    baseline_count: int
    baseline_comments: int
    baseline_share: float
    p_value: float
    test: str
    """How it was found (the report's `emerging.test`), quoted in the alert's payload."""


EMERGING_COUNTS = (
    "period",
    "count",
    "period_comments",
    "share",
    "baseline_count",
    "baseline_comments",
    "baseline_share",
    "p_value",
)
"""The `EmergingIssue` fields read as they are from a report's emerging theme (`test` is
the report's, one for all its themes)."""


@dataclass(frozen=True)
class RuleSet:
    """`version` counts stored versions from 1; the shipped defaults carry their file's."""

    rules: tuple[AlertRule, ...]
    version: int = 0

    def matching(self, feedback: Feedback, analysis: Analysis) -> list[AlertRule]:
        return [rule for rule in self.rules if rule_matches(rule, feedback, analysis)]

    def matching_emerging(self, issue: EmergingIssue) -> list[AlertRule]:
        return [rule for rule in self.rules if emerging_rule_matches(rule, issue)]


def is_detractor(metadata: dict[str, Any]) -> bool | None:
    """True/False for a known score scale; None when the document has no score."""
    score, score_type = metadata.get("score"), metadata.get("score_type")
    if score is None or score_type not in DETRACTOR_AT_MOST:
        return None
    return float(score) <= DETRACTOR_AT_MOST[score_type]


def rule_matches(rule: AlertRule, feedback: Feedback, analysis: Analysis) -> bool:
    if rule.emerging:
        return False
    return all(_holds(name, value, feedback, analysis) for name, value in rule.when.items())


def emerging_rule_matches(rule: AlertRule, issue: EmergingIssue) -> bool:
    if not rule.emerging:
        return False
    causes, touchpoints = rule.when.get("root_causes"), rule.when.get("touchpoints")
    return (causes is None or issue.cause in causes) and (
        touchpoints is None or issue.touchpoint in touchpoints
    )


def _holds(name: str, value: Any, feedback: Feedback, analysis: Analysis) -> bool:
    metadata = feedback.metadata
    if name == "sentiment":
        return analysis.sentiment is not None and analysis.sentiment.label in value
    if name == "churn_risk_at_least":
        return analysis.churn_risk is not None and analysis.churn_risk.score >= value
    if name == "root_causes":
        return any(tag.id in value for tag in analysis.root_causes or ())
    if name == "touchpoints":
        return any(t in value for t in document_touchpoints(feedback, analysis))
    if name == "expectation_gap_kinds":
        return any(gap.kind in value for gap in analysis.expectation_gaps or ())
    if name == "detractor":
        detractor = is_detractor(metadata)
        return detractor is not None and detractor == value
    if name == "customer_value_at_least":
        worth = metadata.get("customer_value")
        return isinstance(worth, int | float) and worth >= value
    raise AssertionError(f"unvalidated condition {name}")


def document_touchpoints(feedback: Feedback, analysis: Analysis) -> list[str]:
    """The document's touchpoints, best first: the analysed ones, else `metadata.touchpoint`."""
    if analysis.touchpoints:
        return [t.id for t in sorted(analysis.touchpoints, key=lambda t: -t.score)]
    given = feedback.metadata.get("touchpoint")
    return [given] if isinstance(given, str) and given else []


def parse_rules(raw: Any, *, version: int = 0) -> RuleSet:
    """A JSON object `{"rules": [...]}` -> `RuleSet`, or `InvalidFieldError` naming the field."""
    obj = require_object(raw, "")
    reject_unknown_keys(obj, {"rules", "version"}, "")
    items = read_list(obj, "rules", "", max_items=MAX_RULES)
    rules = tuple(_rule(item, join("rules", i)) for i, item in enumerate(items))
    check_unique([r.id for r in rules], "rules", "id")
    return RuleSet(rules, version)


def _rule(raw: Any, path: str) -> AlertRule:
    obj = require_object(raw, path)
    reject_unknown_keys(obj, {"id", "description", "when", "route_to"}, path)
    when_path = join(path, "when")
    when = require_object(obj.get("when"), when_path)
    reject_unknown_keys(when, set(CONDITIONS), when_path)
    if not when:
        raise InvalidFieldError(when_path, f"needs at least one condition of {list(CONDITIONS)}")
    if "emerging" in when:
        for name in when:
            if name not in EMERGING_CONDITIONS:
                raise InvalidFieldError(
                    join(when_path, name),
                    "reads one document; a rule with emerging: true matches emerging issues "
                    f"and may only add {list(EMERGING_CONDITIONS[1:])}",
                )
    return AlertRule(
        id=read_id(obj, "id", path),
        description=read_text(obj, "description", path, max_chars=500, required=False),
        when={name: _condition(name, value, join(when_path, name)) for name, value in when.items()},
        route_to=read_id(obj, "route_to", path) if obj.get("route_to") is not None else None,
    )


def _condition(name: str, value: Any, path: str) -> Any:
    if name == "sentiment":
        labels = _string_list(value, path)
        for i, label in enumerate(labels):
            if label not in DOCUMENT_SENTIMENT_LABELS:
                raise InvalidFieldError(
                    join(path, i), f"must be one of {list(DOCUMENT_SENTIMENT_LABELS)}"
                )
        return frozenset(labels)
    if name in ID_LIST_CONDITIONS:
        ids = _string_list(value, path)
        if len(ids) > MAX_IDS_PER_CONDITION:
            raise InvalidFieldError(
                path, f"has {len(ids)} ids; the limit is {MAX_IDS_PER_CONDITION}"
            )
        for i, item in enumerate(ids):
            if not ID_PATTERN.match(item):
                raise InvalidFieldError(join(path, i), f"{item!r:.80} is not a valid id")
        return frozenset(ids)
    if name == "emerging":
        if value is not True:
            raise InvalidFieldError(path, "must be true (leave it out for a rule on documents)")
        return value
    if name == "detractor":
        if not isinstance(value, bool):
            raise InvalidFieldError(path, "must be true or false")
        return value
    if name == "churn_risk_at_least":
        return _number(value, path, low=0.0, high=1.0)
    return _number(value, path, low=0.0, high=None)


def _string_list(value: Any, path: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidFieldError(path, "must be a list of strings")
    return value or _empty(path)


def _empty(path: str) -> Any:
    raise InvalidFieldError(path, "must not be empty; remove the condition instead")


def _number(value: Any, path: str, *, low: float, high: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidFieldError(path, "must be a number")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise InvalidFieldError(path, f"must be {bounds}, not {value}")
    return float(value)


def rules_to_dict(rule_set: RuleSet) -> dict[str, Any]:
    """The JSON shape of `GET /v1/alert-rules` (the PUT body plus `version`)."""
    return {
        "version": rule_set.version,
        "rules": [
            {
                "id": r.id,
                "description": r.description,
                "when": {
                    k: sorted(v) if isinstance(v, frozenset) else v for k, v in r.when.items()
                },
                "route_to": r.route_to,
            }
            for r in rule_set.rules
        ],
    }


def load_default_rules() -> RuleSet:
    raw = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    return parse_rules(raw, version=raw.get("version", 1))
