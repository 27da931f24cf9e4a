# The Celery app is made when Django starts, so that the tasks (`shared_task`) bind to it.
from config.celery import app as celery_app

__all__ = ["celery_app"]
