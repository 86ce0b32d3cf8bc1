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
# worker through Redis.
CELERY_TASK_ALWAYS_EAGER = True

# Redis outlives a test run and may be shared by parallel runs: every test session (and the
# worker it starts, which gets the prefix through the environment) has its own key space.
CACHES["default"]["KEY_PREFIX"] = env("CRM_TEST_CACHE_PREFIX", default=f"t-{uuid.uuid4().hex[:12]}")
