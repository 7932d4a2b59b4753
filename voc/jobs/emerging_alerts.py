"""A finished job's emerging-issue alerts, raised by whichever process ends the job.

The worker that settles a job (the thread of `voc serve`, or a `voc worker` process) calls
`EmergingAlerts.at_completion` as its completion hook, so the touchpoint owners hear of a
surging root cause with no report requested; the service calls `raise_for` again when it
builds a finished job's report. Alert ids are derived from (tenant, job, rule, cause, period)
(`AlertService.submit_emerging`), so however often and wherever a job is checked, each alert
is raised once.
"""

from __future__ import annotations

from typing import Any

from voc.alerts.rules import EMERGING_COUNTS, EmergingIssue
from voc.alerts.service import AlertService
from voc.jobs.config_store import DEFAULT_ID, ConfigStore
from voc.jobs.store import Job, JobStore
from voc.nlp.journey import Journey, journey_from_dict
from voc.nlp.taxonomy import Taxonomy, taxonomy_from_dict
from voc.report.builder import emerging_root_causes
from voc.report.comparisons import EMERGING_TEST


class EmergingAlerts:
    """Tests finished jobs' root causes for emerging issues and submits their alerts."""

    def __init__(self, jobs: JobStore, config_store: ConfigStore, alerts: AlertService) -> None:
        self._jobs = jobs
        self._config_store = config_store
        self._alerts = alerts

    def at_completion(self, job_id: str) -> None:
        """The completion hook (`Worker(on_finished=...)`): test the finished job's root causes
        for emerging issues (`emerging_root_causes`, the report's own test, without topics) and
        raise their alerts now, with no report requested."""
        job = self._jobs.get(job_id)
        if job is None or not any(r.emerging for r in self._alerts.rules(job.tenant).rules):
            return  # gone, or no rule to raise: the documents need not be read
        self.raise_for(job, emerging_root_causes(self._jobs.analysed_documents(job_id)))

    def raise_for(self, job: Job, themes: list[dict[str, Any]]) -> int:
        """Raise the alerts of the root causes emerging in a finished job's last period
        (report.json `emerging.themes`), routed through the job's own taxonomy and journey;
        returns how many are new. Only a finished job: a partial last period would cry wolf."""
        taxonomy, journey = self._configuration(job)
        touchpoints = {cause.id: cause.touchpoint for cause in taxonomy.root_causes}
        issues = [
            EmergingIssue(
                cause=theme["id"],
                label=theme["label"],
                touchpoint=touchpoints.get(theme["id"]),
                **{field: theme[field] for field in EMERGING_COUNTS},
                test=EMERGING_TEST,
            )
            for theme in themes
            if theme["kind"] == "root_cause"  # topics have no touchpoint to route to
        ]
        return self._alerts.submit_emerging(job.id, issues, journey, tenant=job.tenant)

    def _configuration(self, job: Job) -> tuple[Taxonomy, Journey]:
        """The taxonomy and journey pinned at submission; the tenant's defaults (the shipped
        taxonomy and its journey) for a job without them."""
        if "taxonomy" in job.options and "journey" in job.options:
            return (
                taxonomy_from_dict(job.options["taxonomy"]),
                journey_from_dict(job.options["journey"]),
            )
        taxonomy = self._config_store.taxonomy(DEFAULT_ID, tenant=job.tenant)
        return taxonomy, self._config_store.journey(taxonomy.journey, tenant=job.tenant)
