"""Debian packages and signed apt repositories for the test hosts, served on
the test bridge, so a test host installs a node's software as a real site
does from pkgs.k8s.io, download.docker.com and a Debian mirror.

* :func:`make_deb` builds one ``.deb`` with ``dpkg-deb --build``;
* :func:`build_repository` lays out a flat repository like pkgs.k8s.io's
  ``core:/stable:/v1.37/deb/``, or one with ``pool/`` and ``dists/<suite>/``,
  signed by a key gpg generates for that repository alone;
* :class:`PackageMirror` serves a mirror's root over HTTP on one address,
  the run's bridge address (a test host's 127.0.0.1 is its own).

What goes into the mirror is testhosts/node_packages.py.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import TestHostsError

# Upstream's Debian revision for every Kubernetes package (kubeadm 1.37.2-1.1).
KUBE_DEB_REVISION = "1.1"
MAINTAINER = "portal test hosts <testhosts@portal.invalid>"
# A fixed time for every file in a package: the same inputs give the same .deb.
FILE_MTIME = 1_700_000_000


def deb_version(kube_version: str) -> str:
    """``v1.37.2`` -> ``1.37.2-1.1``, as pkgs.k8s.io versions its packages."""
    return f"{kube_version.lstrip('v')}-{KUBE_DEB_REVISION}"


def kube_channel_path(kube_version: str) -> str:
    """Where pkgs.k8s.io keeps the packages of a minor release: ``core:/stable:/v1.37/deb``."""
    major, minor = kube_version.lstrip("v").split(".")[:2]
    return f"core:/stable:/v{major}.{minor}/deb"


# Where the mirror keeps the container runtime's and the distribution's packages.
RUNTIME_PATH = "linux/debian"
DISTRIBUTION_PATH = "debian"


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    tool = command[0]
    if shutil.which(tool) is None:
        raise TestHostsError(f"`{tool}` is not installed (apt-get install dpkg-dev gpg)")
    result = subprocess.run(command, capture_output=True, **kwargs)
    if result.returncode != 0:
        stderr = result.stderr if isinstance(result.stderr, str) else result.stderr.decode(errors="replace")
        raise TestHostsError(f"{' '.join(command[:3])}... exited {result.returncode}: {stderr.strip()[-2000:]}")
    return result


# --- one package ---------------------------------------------------------------
def make_deb(
    name: str,
    version: str,
    arch: str,
    files: Mapping[str, Path | str | bytes],
    *,
    out_dir: Path,
    description: str,
    depends: Iterable[str] = (),
    maintainer_scripts: Mapping[str, str] | None = None,
    section: str = "admin",
    homepage: str = "",
) -> Path:
    """Build ``<out_dir>/<name>_<version>_<arch>.deb`` and return its path.

    `files` maps an absolute path on the installed system to the file's
    content: a path on this machine (copied) or bytes. Files under a ``bin``
    or ``sbin`` directory, and copies of executable files, are installed 0755,
    the rest 0644, all owned by root. `maintainer_scripts` maps ``preinst``,
    ``postinst``, ``prerm`` or ``postrm`` to a script's text. `description`'s
    first line is the synopsis.
    """
    allowed = {"preinst", "postinst", "prerm", "postrm"}
    if set(maintainer_scripts or {}) - allowed:
        raise ValueError(f"maintainer scripts are {sorted(allowed)}, not {sorted(set(maintainer_scripts) - allowed)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="deb.") as staging_dir:
        staging = Path(staging_dir) / "root"
        installed_bytes = 0
        for dest, source in files.items():
            if not dest.startswith("/") or ".." in Path(dest).parts:
                raise ValueError(f"a package file's path must be absolute and plain: {dest!r}")
            target = staging / dest.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, bytes):
                target.write_bytes(source)
                executable = False
            else:
                shutil.copyfile(source, target)
                executable = os.access(source, os.X_OK)
            executable = executable or target.parent.name in {"bin", "sbin"}
            target.chmod(0o755 if executable else 0o644)
            installed_bytes += target.stat().st_size
        control_dir = staging / "DEBIAN"
        control_dir.mkdir(parents=True)
        synopsis, _, long_text = description.strip().partition("\n")
        fields = {
            "Package": name,
            "Version": version,
            "Architecture": arch,
            "Maintainer": MAINTAINER,
            "Installed-Size": str(max(1, -(-installed_bytes // 1024))),
            "Depends": ", ".join(depends),
            "Section": section,
            "Priority": "optional",
            "Homepage": homepage,
        }
        control = "".join(f"{key}: {value}\n" for key, value in fields.items() if value)
        control += f"Description: {synopsis}\n"
        control += "".join(f" {line}\n" if line.strip() else " .\n" for line in long_text.strip("\n").splitlines())
        (control_dir / "control").write_text(control)
        for script, text in (maintainer_scripts or {}).items():
            path = control_dir / script
            path.write_text(text)
            path.chmod(0o755)
        for path in [staging, *staging.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
            os.utime(path, (FILE_MTIME, FILE_MTIME), follow_symlinks=False)
        deb = out_dir / f"{name}_{version}_{arch}.deb"
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(FILE_MTIME))
        _run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", str(staging), str(deb)], env=env)
    return deb


# --- a repository -------------------------------------------------------------------
def build_repository(
    directory: Path,
    debs: Iterable[Path],
    *,
    label: str,
    suite: str = "",
    component: str = "main",
    key_file: str = "Release.key",
) -> str:
    """A signed apt repository in `directory`; returns the fingerprint of its
    signing key, whose public half (ASCII-armored, as pkgs.k8s.io and
    download.docker.com publish theirs) is written to ``<directory>/<key_file>``.

    Without `suite`: a flat repository (``deb [signed-by=...] <url> /``) holding
    `debs` under ``<arch>/``, like pkgs.k8s.io. With `suite`: the usual layout
    (``deb [signed-by=...] <url> <suite> <component>``), ``pool/`` and
    ``dists/<suite>/``, like a Debian mirror or download.docker.com.
    The key is made here for this repository alone; its secret half is dropped."""
    directory.mkdir(parents=True, exist_ok=True)
    pool = directory / "pool" / component if suite else directory
    for deb in debs:
        arch = _run(["dpkg-deb", "--field", str(deb), "Architecture"], text=True).stdout.strip()
        (pool / arch).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(deb, pool / arch / deb.name)
    archs = sorted(path.name for path in pool.iterdir() if path.is_dir() and path.name not in {"pool", "dists"})
    if suite:
        release_dir = directory / "dists" / suite
        # Filename reads "pool/main/amd64/..." from the repository's root.
        indexes = {
            f"{component}/binary-{arch}/Packages": _scan(directory, f"pool/{component}/{arch}") for arch in archs
        }
        fields = {"Suite": suite, "Codename": suite, "Components": component}
    else:
        release_dir = directory
        # Per architecture directory, so Filename reads "amd64/kubeadm_..." as on pkgs.k8s.io.
        indexes = {"Packages": b"".join(_scan(directory, arch) for arch in archs)}
        fields = {}
    for name, data in indexes.items():
        path = release_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.with_name("Packages.gz").write_bytes(gzip.compress(data, mtime=0))
    names = [index for name in indexes for index in (name, name + ".gz")]
    (release_dir / "Release").write_text(release_text(release_dir, label, archs, names, fields))
    return _sign(release_dir, label, directory / key_file)


def _scan(directory: Path, subdirectory: str) -> bytes:
    return _run(["dpkg-scanpackages", "--multiversion", subdirectory], cwd=directory).stdout


def _sign(release_dir: Path, label: str, key_path: Path) -> str:
    """Release.gpg and InRelease for `release_dir`'s Release, by a key made for it."""
    # A short home: gpg-agent's socket path must fit in 108 bytes.
    with tempfile.TemporaryDirectory(prefix="th-gpg.") as home:
        gpg = ["gpg", "--batch", "--quiet", "--homedir", home, "--pinentry-mode", "loopback", "--passphrase", ""]
        try:
            _run([*gpg, "--quick-generate-key", f"{label} <testhosts@portal.invalid>", "ed25519", "sign", "never"])
            listing = _run([*gpg, "--with-colons", "--list-secret-keys"], text=True).stdout
            fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
            sign = [*gpg, "--local-user", fingerprint, "--digest-algo", "SHA512", "--yes"]
            release = str(release_dir / "Release")
            _run([*sign, "--armor", "--detach-sign", "--output", str(release_dir / "Release.gpg"), release])
            _run([*sign, "--clearsign", "--output", str(release_dir / "InRelease"), release])
            _run([*gpg, "--armor", "--output", str(key_path), "--export", fingerprint])
        finally:
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False)
    return fingerprint


def release_text(
    directory: Path,
    label: str,
    archs: list[str],
    names: Iterable[str] = ("Packages", "Packages.gz"),
    fields: Mapping[str, str] | None = None,
) -> str:
    """A Release file: the hashes of the Packages indexes (`names`, relative to `directory`)."""
    lines = [
        f"Origin: {label}",
        f"Label: {label}",
        *(f"{key}: {value}" for key, value in (fields or {}).items()),
        f"Architectures: {' '.join(archs)}",
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime())}",
    ]
    names = list(names)
    for field, algorithm in (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512")):
        lines.append(f"{field}:")
        for name in names:
            data = (directory / name).read_bytes()
            lines.append(f" {hashlib.new(algorithm, data).hexdigest()} {len(data)} {name}")
    return "\n".join(lines) + "\n"


# --- serving it ------------------------------------------------------------------------
class PackageMirror:
    """A static HTTP server for a repository root on `address` only."""

    def __init__(self, root: Path, address: str, port: int = 0):
        self.root = root
        self.requests: list[tuple[str, str, int]] = []  # (client address, path, status)
        # Downloads held back (a slow mirror, for tests that act mid-download).
        self.held: list[tuple[str, str]] = []  # (client address, path) waiting now
        self._hold: tuple[str, threading.Event] | None = None
        handler = _handler(root, self)
        self._server = http.server.ThreadingHTTPServer((address, port), handler)
        self._server.daemon_threads = True
        self.address, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, name="package-mirror", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    def kube_url(self, kube_version: str) -> str:
        """The repository of a minor release, as ``https://pkgs.k8s.io/core:/stable:/v1.37/deb/``."""
        return f"{self.url}/{kube_channel_path(kube_version)}/"

    @property
    def runtime_url(self) -> str:
        """The container runtime's repository, as ``https://download.docker.com/linux/debian``."""
        return f"{self.url}/{RUNTIME_PATH}"

    @property
    def distribution_url(self) -> str:
        """The distribution's own packages, as a Debian mirror (``http://deb.debian.org/debian``)."""
        return f"{self.url}/{DISTRIBUTION_PATH}"

    def hold(self, fragment: str) -> None:
        """Hold back every download whose path contains `fragment` until `release()`."""
        self._hold = (fragment, threading.Event())

    def release(self) -> None:
        if self._hold is not None:
            self._hold[1].set()
            self._hold = None

    def _wait_if_held(self, client: str, path: str) -> None:
        hold = self._hold
        if hold is None or hold[0] not in path:
            return
        self.held.append((client, path))
        try:
            hold[1].wait(timeout=600)
        finally:
            self.held.remove((client, path))

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def _handler(root: Path, mirror: PackageMirror):
    requests = mirror.requests

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def send_head(self):
            mirror._wait_if_held(self.client_address[0], self.path)
            return super().send_head()

        def list_directory(self, path):  # a repository, not a file browser
            self.send_error(404)

        def log_request(self, code="-", size="-"):
            requests.append((self.client_address[0], self.path, int(code) if isinstance(code, int) else 0))

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

    return Handler
