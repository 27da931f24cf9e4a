"""The webhooks' delivery on Celery: beat sends `ipfin.feed.deliver` every minute (config
settings CELERY_BEAT_SCHEDULE). Safe to run twice at once: each delivery is claimed by one run
(ipfin.feed.services._claim_due)."""

from __future__ import annotations

from celery import shared_task

from ipfin.feed.services import webhooks_deliver


@shared_task(name="ipfin.feed.deliver", ignore_result=True)
def deliver() -> dict[str, int]:
    return webhooks_deliver().as_dict()
