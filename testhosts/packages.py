"""Debian packages and a signed apt repository for the test hosts, served on
the test bridge, so a test host installs Kubernetes as a real site does from
pkgs.k8s.io or a mirror of it.

* :func:`make_deb` builds one ``.deb`` with ``dpkg-deb --build`` (also for the
  stand-in packages);
* :func:`build_repository` lays out a flat repository like pkgs.k8s.io's
  ``core:/stable:/v1.37/deb/`` (``Packages``, ``Packages.gz``, ``Release``,
  ``Release.gpg``, ``InRelease``, and the public key as ``Release.key``),
  signed by a key gpg generates for that repository alone;
* :func:`ensure_kube_repository` packages the real kubeadm and kubectl the
  devcluster builds (``devcluster/build.py``), cached under
  ``<cache>/packages/<hash of the binaries and this recipe>/``;
* :class:`PackageMirror` serves a repository root over HTTP on one address,
  the run's bridge address (a test host's 127.0.0.1 is its own).
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from .base import cache_dir
from .errors import TestHostsError

# Upstream's Debian revision for every Kubernetes package (kubeadm 1.37.2-1.1).
KUBE_DEB_REVISION = "1.1"
MAINTAINER = "portal test hosts <testhosts@portal.invalid>"
# A fixed time for every file in a package: the same inputs give the same .deb.
FILE_MTIME = 1_700_000_000
# Bump when the packages or the repository layout change in a way the binaries' hash does not show.
RECIPE = "3"


def deb_version(kube_version: str) -> str:
    """``v1.37.2`` -> ``1.37.2-1.1``, as pkgs.k8s.io versions its packages."""
    return f"{kube_version.lstrip('v')}-{KUBE_DEB_REVISION}"


def kube_channel_path(kube_version: str) -> str:
    """Where pkgs.k8s.io keeps the packages of a minor release: ``core:/stable:/v1.37/deb``."""
    major, minor = kube_version.lstrip("v").split(".")[:2]
    return f"core:/stable:/v{major}.{minor}/deb"


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
def build_repository(directory: Path, debs: Iterable[Path], *, label: str) -> str:
    """A flat, signed apt repository in `directory` (``deb [signed-by=...] <url> /``)
    holding `debs` under ``<arch>/``; returns the fingerprint of its signing key.

    The key is made here for this repository and only its public half is
    kept (``Release.key``, ASCII-armored as pkgs.k8s.io publishes it)."""
    directory.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        arch = _run(["dpkg-deb", "--field", str(deb), "Architecture"], text=True).stdout.strip()
        (directory / arch).mkdir(exist_ok=True)
        shutil.copyfile(deb, directory / arch / deb.name)
    archs = sorted(path.name for path in directory.iterdir() if path.is_dir())
    # Per architecture directory, so Filename reads "amd64/kubeadm_..." as on pkgs.k8s.io.
    packages = b"".join(_run(["dpkg-scanpackages", "--multiversion", arch], cwd=directory).stdout for arch in archs)
    (directory / "Packages").write_bytes(packages)
    (directory / "Packages.gz").write_bytes(gzip.compress(packages, mtime=0))
    (directory / "Release").write_text(release_text(directory, label, archs))
    # A short home: gpg-agent's socket path must fit in 108 bytes.
    with tempfile.TemporaryDirectory(prefix="th-gpg.") as home:
        gpg = ["gpg", "--batch", "--quiet", "--homedir", home, "--pinentry-mode", "loopback", "--passphrase", ""]
        try:
            _run([*gpg, "--quick-generate-key", f"{label} <testhosts@portal.invalid>", "ed25519", "sign", "never"])
            listing = _run([*gpg, "--with-colons", "--list-secret-keys"], text=True).stdout
            fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
            sign = [*gpg, "--local-user", fingerprint, "--digest-algo", "SHA512", "--yes"]
            release = str(directory / "Release")
            _run([*sign, "--armor", "--detach-sign", "--output", str(directory / "Release.gpg"), release])
            _run([*sign, "--clearsign", "--output", str(directory / "InRelease"), release])
            _run([*gpg, "--armor", "--output", str(directory / "Release.key"), "--export", fingerprint])
        finally:
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False)
    return fingerprint


def release_text(directory: Path, label: str, archs: list[str]) -> str:
    """The Release file of a flat repository: the hashes of its Packages indexes."""
    lines = [
        f"Origin: {label}",
        f"Label: {label}",
        f"Architectures: {' '.join(archs)}",
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime())}",
    ]
    for field, algorithm in (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512")):
        lines.append(f"{field}:")
        for name in ("Packages", "Packages.gz"):
            data = (directory / name).read_bytes()
            lines.append(f" {hashlib.new(algorithm, data).hexdigest()} {len(data)} {name}")
    return "\n".join(lines) + "\n"


# --- the Kubernetes packages ------------------------------------------------------
KUBE_PACKAGES = {
    "kubeadm": "Command-line utility for administering a Kubernetes cluster",
    "kubectl": "Command-line utility for interacting with a Kubernetes cluster",
}
# Since 1.32 upstream's kubeadm and kubectl packages depend on nothing; the
# kubeadm package also carries the kubelet unit's drop-in that runs the
# kubelet with the flags and config `kubeadm init`/`join` write.
KUBELET_DROPIN = "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
KUBELET_DROPIN_TEXT = """\
# Installed by kubeadm: the kubelet runs with what `kubeadm init` or `kubeadm join` wrote.
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# Written by kubeadm init/join: sets KUBELET_KUBEADM_ARGS.
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# The administrator's last-resort overrides: sets KUBELET_EXTRA_ARGS.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"""


def ensure_kube_repository(log: Callable[[str], None] = lambda _m: None) -> Path:
    """The root of a package mirror holding pkgs.k8s.io's layout for the
    devcluster's Kubernetes version (``<root>/core:/stable:/v1.37/deb/``), with
    the real kubeadm and kubectl built by the devcluster; built once per
    binaries' hash. Raises TestHostsError if they cannot be built."""
    from devcluster import build  # the devcluster builds every Kubernetes binary

    try:
        bin_dir = build.ensure_built(log)
    except build.BuildError as error:
        raise TestHostsError(f"the Kubernetes binaries cannot be built: {error}") from error
    digest = hashlib.sha256(f"recipe={RECIPE}\nversion={build.KUBE_VERSION}\n".encode())
    for name in KUBE_PACKAGES:
        digest.update(hashlib.sha256((bin_dir / name).read_bytes()).digest())
    entry = cache_dir() / "packages" / digest.hexdigest()[:16]
    root = entry / "mirror"
    if (entry / "done").exists():
        return root
    entry.mkdir(parents=True, exist_ok=True)
    with open(entry / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (entry / "done").exists():
            started = time.monotonic()
            shutil.rmtree(root, ignore_errors=True)
            _build_kube_mirror(root, bin_dir, build.KUBE_VERSION, entry / "debs")
            (entry / "done").write_text(f"{time.monotonic() - started:.1f}\n")
            log(f"[testhosts] Kubernetes package repository built in {time.monotonic() - started:.1f} s: {root}")
    return root


def prune_repositories() -> list[Path]:
    """Remove every cached repository (rebuilt in seconds when next needed).
    Only while no run is live: a live run may be serving one."""
    removed = []
    for entry in sorted((cache_dir() / "packages").glob("*")):
        with open(entry / "build.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # being built
            shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _build_kube_mirror(root: Path, bin_dir: Path, kube_version: str, deb_dir: Path) -> None:
    version = deb_version(kube_version)
    extra_files = {"kubeadm": {KUBELET_DROPIN: KUBELET_DROPIN_TEXT.encode()}}
    debs = [
        make_deb(
            name,
            version,
            "amd64",
            {f"/usr/bin/{name}": bin_dir / name, **extra_files.get(name, {})},
            out_dir=deb_dir,
            description=f"{synopsis}\nBuilt from k8s.io/kubernetes {kube_version} by the portal's devcluster.",
            homepage="https://kubernetes.io",
        )
        for name, synopsis in KUBE_PACKAGES.items()
    ]
    build_repository(
        root / kube_channel_path(kube_version), debs, label=f"portal test mirror of {kube_channel_path(kube_version)}"
    )


# --- serving it ------------------------------------------------------------------------
class PackageMirror:
    """A static HTTP server for a repository root on `address` only."""

    def __init__(self, root: Path, address: str, port: int = 0):
        self.root = root
        self.requests: list[tuple[str, str, int]] = []  # (client address, path, status)
        handler = _handler(root, self.requests)
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

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def _handler(root: Path, requests: list):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def list_directory(self, path):  # a repository, not a file browser
            self.send_error(404)

        def log_request(self, code="-", size="-"):
            requests.append((self.client_address[0], self.path, int(code) if isinstance(code, int) else 0))

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

    return Handler
