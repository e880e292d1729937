"""A minimal HTTPS client for the launcher's own calls to the API server
(readiness probes, registering nodes) and the container-log stand-in's watch. Standard library only, so the launcher
itself needs nothing beyond ``cryptography``; tests use the official client.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path


class ApiError(RuntimeError):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class ApiClient:
    def __init__(self, server: str, ca_file: Path, cert_file: Path, key_file: Path):
        self.server = server.rstrip("/")
        self.context = ssl.create_default_context(cafile=str(ca_file))
        self.context.load_cert_chain(str(cert_file), str(key_file))
        # Never through a proxy from the environment: the server is on loopback.
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self.context)
        )

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        content_type: str = "application/json",
        timeout: float = 10.0,
    ):
        data = json.dumps(body).encode() if body is not None else None
        # self.server is always our own https://127.0.0.1:<port>.
        request = urllib.request.Request(self.server + path, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode(errors="replace")) from None
        try:
            return json.loads(text)
        except ValueError:
            return text

    def stream(self, path: str, timeout: float):
        """GET path, the response unread (iterate it for lines: a watch)."""
        request = urllib.request.Request(self.server + path, method="GET")  # noqa: S310
        request.add_header("Accept", "application/json")
        try:
            return self.opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode(errors="replace")) from None

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: dict, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def ok(self, path: str) -> bool:
        """True if GET path answers 200 (used for /readyz and /healthz)."""
        try:
            self.request("GET", path, timeout=2.0)
            return True
        except (ApiError, OSError):
            return False
