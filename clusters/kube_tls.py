"""TLS for the Kubernetes gateway (`clusters/kube.py`), with no credential on disk.

The `kubernetes` client turns a kubeconfig's inline certificates into files
(Python's ssl module reads a client key only from a path) and removes them
when the process exits: a decrypted client key that outlives a crash and a
credential rotation. So the gateway takes the inline TLS data out of the
kubeconfig before the client sees it, and hands urllib3 an SSL context of its
own instead: the CA comes from memory (`cadata`), the client certificate and
key through pipes that the ssl module reads by their `/dev/fd` path; the
pipes are closed as soon as the context holds the key. Nothing decrypted is
ever written to a file.

The context loads them when the first connection is made, not before, so an
unreachable server is still reported as unreachable and a bad certificate as
a TLS failure, as the client would.

Every request makes a client, and loading a CA and a client key costs more
than the rest of making one: `context_for` keeps the contexts (bounded, least
recently used first out) by a fingerprint of everything they were built from,
so clients of the same credential share one and a rotated credential, a new CA
or another server gets a new one. The fingerprint is a keyed hash (a key
drawn per process), kept in memory like the context: nothing new on disk.
"""

import base64
import binascii
import copy
import hashlib
import hmac
import os
import ssl
import threading
from collections import OrderedDict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

# Contexts kept for reuse: a few per cluster at most (its credential, and a
# replaced one until its clients are done), for a few dozen clusters.
CONTEXTS_KEPT = 64

# Inline TLS data, by kubeconfig section.
_DATA_KEYS = {
    "clusters": ("cluster", ("certificate-authority-data",)),
    "users": ("user", ("client-certificate-data", "client-key-data")),
}


@dataclass(frozen=True)
class TLSData:
    """Decoded PEM (or DER) bytes of the current context's CA and client credentials."""

    ca: bytes | None = None
    cert: bytes | None = None
    key: bytes | None = None


def split(config: dict) -> tuple[dict, TLSData]:
    """The kubeconfig without any inline TLS data (so the client writes no
    file), and the decoded data of its current context's cluster and user."""
    config = copy.deepcopy(config)
    context = _entry(config, "contexts", "context", config.get("current-context"))
    wanted = {"clusters": context.get("cluster"), "users": context.get("user")}
    found: dict[str, bytes] = {}
    for section, (inner, keys) in _DATA_KEYS.items():
        for entry in config.get(section) or []:
            body = entry.get(inner) if isinstance(entry, dict) else None
            if not isinstance(body, dict):
                continue
            for key in keys:
                value = body.pop(key, None)
                if value and entry.get("name") == wanted[section] and key not in found:
                    found[key] = _decode(key, value)
    return config, TLSData(
        ca=found.get("certificate-authority-data"),
        cert=found.get("client-certificate-data"),
        key=found.get("client-key-data"),
    )


def _entry(config: dict, section: str, inner: str, name) -> dict:
    for entry in config.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name and isinstance(entry.get(inner), dict):
            return entry[inner]
    return {}  # the client's own loader names what is missing


def _decode(key: str, value) -> bytes:
    try:
        return base64.standard_b64decode(value if isinstance(value, (str, bytes)) else "")
    except (binascii.Error, ValueError):
        raise ValueError(f"{key} is not base64") from None


class InMemoryTLSContext(ssl.SSLContext):
    """An SSL context that loads the CA and client credentials from memory
    when the first connection needs them, then forgets the bytes."""

    def __new__(cls, tls: TLSData, *, verify: bool):
        return super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)

    def __init__(self, tls: TLSData, *, verify: bool):
        super().__init__()
        if not verify:  # insecure-skip-tls-verify
            self.check_hostname = False
            self.verify_mode = ssl.CERT_NONE
        self._tls = tls
        self._verify = verify
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._tls is None:  # loaded already: no lock for the many connections after
            return
        with self._lock:
            tls = self._tls
            if tls is None:
                return
            if self._verify and tls.ca:
                pem = tls.ca.lstrip().startswith(b"-----")
                self.load_verify_locations(cadata=tls.ca.decode("ascii", "replace") if pem else tls.ca)
            elif self._verify:
                self.load_default_certs()
            if tls.cert and tls.key:
                with ExitStack() as stack:
                    try:
                        self.load_cert_chain(
                            stack.enter_context(_readable(tls.cert)), stack.enter_context(_readable(tls.key))
                        )
                    except ssl.SSLError:
                        raise
                    except OSError as exc:
                        # OpenSSL's refusal of a key that is not the certificate's
                        # surfaces as the pipe's errno ("Illegal seek"): a TLS
                        # failure, not an unreachable server.
                        raise ssl.SSLError(
                            f"the client certificate and key cannot be used together ({exc.strerror or exc})"
                        ) from None
            # Forgotten only once loaded: a context shared by later clients
            # that failed to load fails the same way for each of them.
            self._tls = None

    def wrap_socket(self, *args, **kwargs):
        self._load()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args, **kwargs):
        self._load()
        return super().wrap_bio(*args, **kwargs)


_FINGERPRINT_KEY = os.urandom(32)
_contexts: OrderedDict[tuple, InMemoryTLSContext] = OrderedDict()
_contexts_lock = threading.Lock()


def fingerprint(tls: TLSData, *, verify: bool, server: str, server_name: str | None = None) -> str:
    """What a context is built from, as a keyed hash (never the material itself)."""
    digest = hmac.new(_FINGERPRINT_KEY, digestmod=hashlib.sha256)
    for part in (tls.ca, tls.cert, tls.key, b"1" if verify else b"0", server.encode(), (server_name or "").encode()):
        part = part or b""
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def context_for(
    tls: TLSData, *, verify: bool, server: str, server_name: str | None = None, owner=None
) -> InMemoryTLSContext:
    """The SSL context for a credential, shared by every client of it.

    `owner` (a cluster's id) names whose credential it is: a new one (rotated,
    or a new CA) drops the owner's earlier contexts at once, so a replaced key
    is not kept in memory until it ages out. urllib3 sets the verification
    mode on the context at each connection; every client of one fingerprint
    sets the same (`verify`, `server_name` are in it)."""
    key = (owner, fingerprint(tls, verify=verify, server=server, server_name=server_name))
    with _contexts_lock:
        context = _contexts.get(key)
        if context is not None:
            _contexts.move_to_end(key)
            return context
        if owner is not None:
            for stale in [kept for kept in _contexts if kept[0] == owner]:
                del _contexts[stale]
        context = _contexts[key] = InMemoryTLSContext(tls, verify=verify)
        while len(_contexts) > CONTEXTS_KEPT:
            _contexts.popitem(last=False)
        return context


@contextmanager
def _readable(data: bytes):
    """A path to read `data` from once, that exists only in memory: a pipe,
    filled and closed for writing before it is read."""
    read, write = os.pipe()
    try:
        os.set_blocking(write, False)
        try:
            written = os.write(write, data)
        except BlockingIOError:
            written = 0
        if written != len(data):
            raise ssl.SSLError(f"client certificate or key too large ({len(data)} bytes)")
        os.close(write)
        write = -1
        yield f"/dev/fd/{read}"
    finally:
        os.close(read)
        if write != -1:
            os.close(write)
