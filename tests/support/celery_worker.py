"""A real Celery worker process on the real Redis broker, for tests that
need one (a pytest plugin: `broker`, `workers`)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app
from tests.support.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    """`celery worker` as a child process with its own process group."""

    def __init__(self, broker_url: str, name: str, log: Path):
        self.broker_url, self.name, self.log = broker_url, name, log
        self.process = None

    def start(self):
        env = {
            **os.environ,
            "CELERY_BROKER_URL": self.broker_url,
            "DATABASE_URL": _database_url(),
            "PYTHONPATH": str(ROOT),
            "JOB_HEARTBEAT_SECONDS": "1",
        }
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-n",
                    self.name,
                    "-c",
                    "1",
                    "-I",
                    "tests.support.jobkinds",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "info",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: "ready." in self.log.read_text(), 60, what=f"worker {self.name} ready ({self.log})")
        return self

    def pool_child_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def kill(self):
        """SIGKILL the whole worker (main process and pool): a crash, not a shutdown."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def broker(redis_url):
    """Point this process's Celery app at Redis, with an empty queue."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    previous = celery_app.conf.CELERY_BROKER_URL
    _switch_broker(redis_url)
    yield redis_url
    _switch_broker(previous)


def _switch_broker(url):
    # Celery caches its connection and producer pools; drop them with the URL.
    celery_app.conf.CELERY_BROKER_URL = url  # the namespaced key is what the app reads
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def workers(broker, tmp_path):
    started = []

    def start(name="portal-test@%h"):
        worker = Worker(broker, name, tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
