"""Test settings: the same code paths as production, with fast password hashing.

DATABASE_URL / REDIS_URL select PostgreSQL and Redis (CI's second pass); without them the suite
runs on SQLite with Celery eager."""

import uuid

from .base import *  # noqa: F403
from .base import CACHES, env

SECRET_KEY = env("SECRET_KEY", default="test-only-not-secret")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
LANGUAGE_CODE = "zh-hans"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process in tests; the `celery_worker_process` fixture switches a test to a real
# worker through Redis (and the worker it starts is told CELERY_TASK_ALWAYS_EAGER=false, so
# the tasks it sends on, such as a run's partitions, go through Redis too).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Fault tests: "phase:partition index:seconds" makes that partition's step sleep after its
# work is committed and before its task is acknowledged (segmentation.pipeline.steps).
SEGMENTATION_TEST_PAUSE = env("CRM_TEST_PAUSE_PARTITION", default="")

# Redis outlives a test run and may be shared by parallel runs: every test session (and the
# worker it starts, which gets the prefix through the environment) has its own key space.
CACHES["default"]["KEY_PREFIX"] = env("CRM_TEST_CACHE_PREFIX", default=f"t-{uuid.uuid4().hex[:12]}")
