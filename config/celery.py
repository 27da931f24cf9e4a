"""ipfin's Celery app. Its settings are Django's CELERY_* settings (config.settings): with
CELERY_BROKER_URL set (RabbitMQ `amqp://…` or Redis `redis://…`) the background jobs go to the
workers (`ipfin celery worker`) and beat sends the daily ones (`ipfin celery beat`); without it
every task runs in the process that sends it (eager), so the demo needs no broker."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ipfin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
