"""The node package mirror on the test bridge: the real kubeadm and kubectl,
packaged as .debs in a signed apt repository laid out like pkgs.k8s.io's,
install on a test host the way the upstream instructions say; the stand-in
containerd and chrony from repositories laid out like download.docker.com and
a Debian mirror; apt refuses a tampered index."""

from __future__ import annotations

import gzip
import shlex
import shutil
import socket
import subprocess
from urllib.parse import unquote

import pytest

from devcluster.build import KUBE_VERSION
from testhosts import network, node_packages, packages
from tests.testhosts.clients import ssh

KEYRING = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
SOURCES = "/etc/apt/sources.list.d/kubernetes.list"
VERSION = packages.deb_version(KUBE_VERSION)


def sudo(host, command: str, *, check: bool = True) -> subprocess.CompletedProcess:
    """`command` over SSH as the automation user, through sudo, as an operator would run it."""
    return ssh(host, f"sudo -n sh -c {shlex.quote(command)}", user=host.nopasswd_username, check=check, timeout=300)


def add_kube_repository(host, url: str) -> None:
    add_repository(host, url, keyring=KEYRING, sources=SOURCES)


def add_repository(host, url: str, *, keyring: str, sources: str) -> None:
    """The pkgs.k8s.io steps: the key dearmored into a keyring, a signed-by source line."""
    sudo(host, "mkdir -p -m 755 /etc/apt/keyrings")
    sudo(host, f"curl -fsSL {url}Release.key | gpg --dearmor -o {keyring}")
    sudo(host, f"echo 'deb [signed-by={keyring}] {url} /' >{sources}")


@pytest.mark.testhosts
def test_kubeadm_and_kubectl_install_from_the_mirror_as_from_pkgs_k8s_io(testhosts, kube_packages):
    run = testhosts(1)
    host = run[0]
    mirror = run.package_mirror()
    assert mirror.root == kube_packages
    url = mirror.kube_url(KUBE_VERSION)
    assert url == f"http://{network.gateway_address(run.slot)}:{mirror.port}/core:/stable:/v1.37/deb/"
    # Served on the bridge address alone, not on the runner's other addresses.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", mirror.port), timeout=5)
    assert VERSION == "1.37.2-1.1"

    add_kube_repository(host, url)
    update = sudo(host, "apt-get update")
    sudo(host, f"apt-get install -y kubeadm={VERSION} kubectl={VERSION}")
    sudo(host, "apt-mark hold kubeadm kubectl")

    assert ssh(host, "kubeadm version -o short").stdout == f"{KUBE_VERSION}\n"
    assert f"Client Version: {KUBE_VERSION}\n" in ssh(host, "kubectl version --client").stdout
    assert ssh(host, "apt-mark showhold").stdout.split() == ["kubeadm", "kubectl"]
    installed = ssh(host, "dpkg-query -W -f '${Package} ${Version} ${Status}\\n' kubeadm kubectl").stdout
    assert installed.splitlines() == [f"{name} {VERSION} hold ok installed" for name in ("kubeadm", "kubectl")]
    assert "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env" in host.read_file(node_packages.KUBELET_DROPIN)
    # apt asked the mirror and nothing else; the mirror heard only this host.
    fetched = [line for line in update.stdout.splitlines() if line.split(":")[0] in {"Get", "Hit", "Ign", "Err"}]
    assert fetched and all(line.split()[1] == url.rstrip("/") for line in fetched), update.stdout
    assert {client for client, _path, _status in mirror.requests} == {host.address}
    served = {unquote(path) for _client, path, status in mirror.requests if status == 200}
    channel = "/" + packages.kube_channel_path(KUBE_VERSION)
    assert {
        f"{channel}/Release.key",
        f"{channel}/InRelease",
        f"{channel}/amd64/kubeadm_{VERSION}_amd64.deb",
        f"{channel}/amd64/kubectl_{VERSION}_amd64.deb",
    } <= served


@pytest.mark.testhosts
def test_apt_refuses_an_index_changed_after_signing(testhosts, kube_packages, tmp_path):
    run = testhosts(1)
    host = run[0]
    genuine = run.package_mirror()
    # A copy of the repository (the .debs are not needed: apt stops first),
    # whose index announces a kubeadm that was never signed for.
    root = tmp_path / "mirror"
    shutil.copytree(genuine.root, root, ignore=shutil.ignore_patterns("*.deb"))
    channel = root / packages.kube_channel_path(KUBE_VERSION)
    index = (channel / "Packages").read_text()
    forged_index = index.replace(f"Version: {VERSION}", "Version: 1.37.9-1.1", 1).encode()
    assert forged_index != index.encode()
    (channel / "Packages").write_bytes(forged_index)
    (channel / "Packages.gz").write_bytes(gzip.compress(forged_index))
    forged = packages.PackageMirror(root, genuine.address)
    try:
        add_kube_repository(host, forged.kube_url(KUBE_VERSION))
        # The signed InRelease's sizes and hashes no longer match the index.
        update = sudo(host, "apt-get update", check=False)
        assert update.returncode != 0
        assert "Failed to fetch" in update.stderr
        assert "Hash Sum mismatch" in update.stderr or "File has unexpected size" in update.stderr
        assert sudo(host, "apt-cache policy kubeadm").stdout == ""

        # The Release rewritten to match the forged index, the signature kept.
        (channel / "InRelease").unlink()
        (channel / "Release").write_text(packages.release_text(channel, "forged", ["amd64"]))
        update = sudo(host, "apt-get update", check=False)
        assert update.returncode != 0
        assert "BADSIG" in update.stdout + update.stderr
        assert sudo(host, "apt-cache policy kubeadm").stdout == ""
        assert sudo(host, "apt-get install -y kubeadm", check=False).returncode != 0
    finally:
        forged.stop()

    # The same host and steps with the genuine repository: accepted.
    sudo(host, f"rm -f {SOURCES} {KEYRING}")
    add_kube_repository(host, genuine.kube_url(KUBE_VERSION))
    sudo(host, "apt-get update")
    assert f"Candidate: {VERSION}" in sudo(host, "apt-cache policy kubeadm").stdout


@pytest.mark.testhosts
def test_the_runtime_and_the_distribution_install_from_their_mirrors(testhosts, kube_packages):
    """containerd.io as from download.docker.com (its `gpg` key, a suite and
    component), chrony as from the site's Debian mirror: both the stand-ins,
    named so in their packages."""
    run = testhosts(1)
    host = run[0]
    mirror = run.package_mirror()
    node_packages.use_distribution_mirror(host, mirror)
    sudo(host, "mkdir -p -m 755 /etc/apt/keyrings")
    sudo(host, f"curl -fsSL {mirror.runtime_url}/gpg -o /etc/apt/keyrings/docker.asc")
    codename = ssh(host, ". /etc/os-release && echo $VERSION_CODENAME").stdout.strip()
    sudo(
        host,
        f"echo 'deb [signed-by=/etc/apt/keyrings/docker.asc] {mirror.runtime_url} {codename} stable'"
        " >/etc/apt/sources.list.d/docker.list",
    )
    update = sudo(host, "apt-get update")
    assert "Err:" not in update.stdout, update.stdout
    sudo(host, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q containerd.io chrony")

    installed = ssh(host, "dpkg-query -W -f '${Package} ${Version}\\n' containerd.io chrony").stdout.split("\n")
    assert f"containerd.io {node_packages.CONTAINERD_VERSION}" in installed
    assert f"chrony {node_packages.CHRONY_VERSION}" in installed
    described = ssh(host, "dpkg-query -W -f '${Description}\\n' containerd.io chrony").stdout
    assert described.count("STAND-IN") == 2
    assert "not a container runtime" in ssh(host, "containerd --version").stdout
    assert host.path(node_packages.CONTAINERD_UNIT).is_file()
    # Each came from its own repository on the mirror.
    served = {unquote(path) for _client, path, status in mirror.requests if status == 200}
    assert any(path.startswith("/linux/debian/pool/stable/") and "containerd.io_" in path for path in served)
    assert any(path.startswith("/debian/pool/main/") and "chrony_" in path for path in served)


def test_make_deb_builds_the_same_package_from_the_same_files(tmp_path):
    source = tmp_path / "tool"
    source.write_text("#!/bin/sh\necho tool\n")
    source.chmod(0o755)
    files = {"/usr/bin/tool": source, "/etc/tool/tool.conf": b"setting = 1\n"}
    scripts = {"postinst": "#!/bin/sh\nset -e\necho configured >/var/lib/tool-configured\n"}
    builds = [
        packages.make_deb(
            "tool",
            "1.0-1",
            "amd64",
            files,
            out_dir=tmp_path / name,
            depends=["kubectl (>= 1.37.0)"],
            description="A tool\nIts longer description.\n\nA second paragraph.",
            maintainer_scripts=scripts,
        )
        for name in ("one", "two")
    ]
    assert builds[0].name == "tool_1.0-1_amd64.deb"
    assert builds[0].read_bytes() == builds[1].read_bytes()

    info = subprocess.run(["dpkg-deb", "--info", builds[0]], capture_output=True, text=True, check=True).stdout
    assert " Depends: kubectl (>= 1.37.0)\n" in info
    assert " Description: A tool\n  Its longer description.\n  .\n  A second paragraph.\n" in info
    listing = subprocess.run(["dpkg-deb", "--contents", builds[0]], capture_output=True, text=True, check=True).stdout
    modes = {line.split()[-1]: (line.split()[0], line.split()[1]) for line in listing.splitlines()}
    assert modes["./usr/bin/tool"] == ("-rwxr-xr-x", "root/root")
    assert modes["./etc/tool/tool.conf"] == ("-rw-r--r--", "root/root")
    with pytest.raises(ValueError):
        packages.make_deb("tool", "1.0-1", "amd64", {"relative/path": b""}, out_dir=tmp_path, description="x")


@pytest.mark.testhosts
def test_a_package_made_here_installs_with_its_dependency_and_scripts(testhosts, kube_packages, tmp_path):
    """What the stand-in packages will do: a repository of our own packages,
    one depending on the real kubectl, installed from two mirrors on the bridge."""
    run = testhosts(1)
    host = run[0]
    kube = run.package_mirror()
    tool = packages.make_deb(
        "portal-probe",
        "0.1-1",
        "all",
        {"/usr/bin/portal-probe": b"#!/bin/sh\nkubectl version --client\n"},
        out_dir=tmp_path / "debs",
        depends=[f"kubectl (>= {VERSION})"],
        description="Probe package of the portal's tests",
        maintainer_scripts={"postinst": '#!/bin/sh\nset -e\necho "$1" >/var/lib/portal-probe.postinst\n'},
    )
    channel = tmp_path / "mirror" / "probe"
    packages.build_repository(channel, [tool], label="portal probe")
    own = packages.PackageMirror(tmp_path / "mirror", kube.address)
    try:
        add_kube_repository(host, kube.kube_url(KUBE_VERSION))
        add_repository(
            host,
            f"{own.url}/probe/",
            keyring="/etc/apt/keyrings/probe.gpg",
            sources="/etc/apt/sources.list.d/probe.list",
        )
        sudo(host, "apt-get update")
        sudo(host, "apt-get install -y portal-probe")
    finally:
        own.stop()
    assert f"Client Version: {KUBE_VERSION}" in ssh(host, "portal-probe").stdout
    assert host.read_file("/var/lib/portal-probe.postinst") == "configure\n"
    assert ssh(host, "dpkg-query -W -f '${Version}' kubectl").stdout == VERSION
