"""Redis down while people work: pages keep working on the database alone, and jobs started
from a page say "the job queue is unavailable" at once instead of hanging or failing with a
500. Redis here is a private redis-server on a free port that the test really stops (never the
shared one)."""

import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.celery import app as celery_app
from segmentation.models import Run
from tests.conftest import service_missing
from tests.customers.factories import CustomerFactory

pytestmark = [pytest.mark.needs_redis, pytest.mark.django_db]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self, tmp_path):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.proc = None

    def start(self):
        binary = shutil.which("redis-server") or "redis-server"
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--dir", str(self.dir)]
        self.proc = subprocess.Popen(  # noqa: S603 - our own arguments
            [binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path, settings):
    """A private Redis as cache and broker (jobs are published, not run eagerly)."""
    if shutil.which("redis-server") is None:
        service_missing("needs the redis-server binary for a private Redis")
    server = PrivateRedis(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "crm.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 2},
        }
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    old = (celery_app.conf.task_always_eager, celery_app.conf.broker_url,
           celery_app.conf.broker_write_url)  # fmt: skip
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = celery_app.conf.broker_write_url = server.url
    from crm.cache import ResilientRedisCache

    ResilientRedisCache._down_until = 0.0
    try:
        yield server
    finally:
        server.stop()
        (celery_app.conf.task_always_eager, celery_app.conf.broker_url,
         celery_app.conf.broker_write_url) = old  # fmt: skip
        ResilientRedisCache._down_until = 0.0


def test_cache_misses_instead_of_failing_while_redis_is_down(redis_server):
    cache.set("k", "v", 60)
    assert cache.get("k") == "v"
    redis_server.stop()
    started = time.monotonic()
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", "w", 60)  # dropped, no error
    assert cache.delete("k") is False
    assert cache.get_many(["k", "j"]) == {}
    assert cache.add("a", 1) is False
    for _ in range(50):
        cache.get("k")
    assert time.monotonic() - started < 2  # no waiting per call once Redis is known down
    redis_server.start()
    from crm.cache import ResilientRedisCache

    ResilientRedisCache._down_until = 0.0  # (5 s later in real life)
    cache.set("k", "back", 60)
    assert cache.get("k") == "back"


def test_a_manager_keeps_browsing_and_run_now_says_the_queue_is_unavailable(
    client, redis_server, manager_maria, rep_alice, admin_ada
):
    customer = CustomerFactory(owner=rep_alice, name="断网客户")
    client.force_login(manager_maria)
    redis_server.stop()

    pages = [
        reverse("home"),
        reverse("customers:list"),
        reverse("customers:list") + "?q=断网",
        reverse("customers:detail", args=[customer.pk]),
        reverse("strategies:tasks"),
        reverse("customers:import"),
        reverse("dashboards:overview"),
    ]
    for url in pages:
        started = time.monotonic()
        response = client.get(url)
        assert response.status_code == 200, url
        assert time.monotonic() - started < 5, url
    assert "断网客户" in client.get(reverse("customers:list")).content.decode()

    client.force_login(admin_ada)
    started = time.monotonic()
    response = client.post(reverse("admin:segmentation_run_now"), follow=True)
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    html = response.content.decode()
    assert "任务队列暂时不可用" in html
    assert "已排队" not in html
    assert not Run.objects.exists()


def test_a_big_import_says_the_queue_is_unavailable_and_can_be_tried_again(
    client, redis_server, manager_maria, monkeypatch
):
    monkeypatch.setattr("customers.views.data.SYNC_IMPORT_MAX_BYTES", 0)  # every file "big"
    client.force_login(manager_maria)
    redis_server.stop()
    upload = SimpleUploadedFile("big.csv", "code,name\nQ1,甲\n".encode(), content_type="text/csv")
    response = client.post(reverse("customers:import"), {"kind": "customers", "file": upload})
    assert response.status_code == 503
    assert "任务队列暂时不可用" in response.content.decode()
    token = response.context["token"]

    redis_server.start()
    response = client.post(reverse("customers:import"), {"token": token, "step": "check"})
    assert response.status_code == 200
    assert response.context["pending"] is True  # queued now (nobody consumes this broker)
