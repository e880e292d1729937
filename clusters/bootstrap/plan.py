"""The bootstrap plan: every step, on which hosts, with the exact commands.

The same plan is shown before anything runs (a dry run anyone can read) and
run by the bootstrap job. Each action checks before it changes: a command's
`unless` exits 0 when there is nothing to do, and a file is written only when
its content differs, so a rerun of a finished bootstrap changes nothing.
Actions marked `portal` are done by the portal itself (through the cluster's
API), not on a host.
"""

import shlex
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from clusters.bootstrap.spec import ClusterSpec
from hosts.actions import Command, WriteFile
from portal.stored_text import Message

HOSTS_BEGIN = "# BEGIN portal cluster hosts"
HOSTS_END = "# END portal cluster hosts"
KUBEADM_INIT_FILE = "/etc/kubernetes/portal/kubeadm-init.yaml"
KUBEADM_JOIN_FILE = "/etc/kubernetes/portal/kubeadm-join.yaml"
APT_KEYRING = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
APT_SOURCE = "/etc/apt/sources.list.d/kubernetes.list"
DOCKER_KEYRING = "/etc/apt/keyrings/docker.asc"
DOCKER_SOURCE = "/etc/apt/sources.list.d/docker.list"
# The sandbox ("pause") image kubeadm 1.37 expects (`kubeadm config images list`).
PAUSE_VERSION = "3.10.1"
# What shows that kubeadm init / join has run on a host.
INIT_DONE = "test -f /etc/kubernetes/admin.conf"
JOIN_DONE = "test -f /etc/kubernetes/kubelet.conf"
SECRET = "<secret>"  # what the dry run shows of a secret file

CONTROL_PLANE_PORTS = ("6443/tcp", "2379:2380/tcp", "10250/tcp", "10257/tcp", "10259/tcp")
WORKER_PORTS = ("10250/tcp", "30000:32767/tcp")
ADDON_PORTS = {"flannel": ("8472/udp",), "calico": ("179/tcp", "4789/udp")}


@dataclass(frozen=True)
class PortalAction:
    """Work the portal does itself, described for the dry run."""

    name: str
    description: str


@dataclass(frozen=True)
class HostInfo:
    name: str  # the node name and the hostname to set
    address: str
    family: str  # "debian" or "rhel"


@dataclass(frozen=True)
class Step:
    """One step of the plan, as the bootstrap job runs it: on each host of
    `actions` (host name -> its actions) or, for the portal's own work, once
    or once per host of `on`."""

    name: str
    title: "str | Message"
    actions: dict = field(default_factory=dict)
    portal: tuple = ()
    on: tuple = ()

    @property
    def hosts(self) -> tuple:
        return tuple(self.actions) or self.on


def _install(family: str, packages: str) -> str:
    if family == "rhel":
        return f"dnf install -y {packages}"
    return f"DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q {packages}"


def _firewall(host: HostInfo, role_ports: tuple, spec: ClusterSpec) -> Command:
    ports = (*role_ports, *ADDON_PORTS[spec.network_addon])
    if host.family == "rhel":
        adds = " ".join(f"--add-port={p.replace(':', '-')}" for p in ports)
        listed = " && ".join(f"firewall-cmd --query-port={p.replace(':', '-')} >/dev/null" for p in ports)
        return Command(
            run=f"firewall-cmd --permanent {adds} && firewall-cmd --reload",
            unless=f"! systemctl is-active -q firewalld || {{ {listed}; }}",
        )
    allows = " && ".join(f"ufw allow {p}" for p in ports)
    return Command(
        run=allows,
        unless="! command -v ufw >/dev/null || ! ufw status | grep -q 'Status: active'",
    )


def hosts_block(hosts: list[HostInfo]) -> list[str]:
    return [HOSTS_BEGIN, *(f"{h.address} {h.name}" for h in hosts), HOSTS_END]


def _hosts_file(all_hosts: list[HostInfo]) -> Command:
    block = hosts_block(all_hosts)
    lines = " ".join(shlex.quote(line) for line in block)
    current = f"sed -n '/^{HOSTS_BEGIN}$/,/^{HOSTS_END}$/p' /etc/hosts"
    # `cat >` keeps the file's inode: /etc/hosts may be a bind mount.
    return Command(
        run=(
            f"{{ sed '/^{HOSTS_BEGIN}$/,/^{HOSTS_END}$/d' /etc/hosts; printf '%s\\n' {lines}; }} > /etc/hosts.portal"
            " && cat /etc/hosts.portal > /etc/hosts && rm -f /etc/hosts.portal"
        ),
        unless=f'[ "$({current})" = "$(printf \'%s\\n\' {lines})" ]',
    )


def _prepare(host: HostInfo, role_ports: tuple, all_hosts: list[HostInfo], spec: ClusterSpec) -> list:
    actions = [_firewall(host, role_ports, spec)]
    if host.family == "rhel":
        actions.append(
            Command(
                run="setenforce 0; sed -i 's/^SELINUX=enforcing$/SELINUX=permissive/' /etc/selinux/config",
                unless="[ \"$(getenforce 2>/dev/null)\" != Enforcing ] && ! grep -qs '^SELINUX=enforcing$' /etc/selinux/config",
            )
        )
    swap_line = r"^[^#[:space:]]\S*\s+\S+\s+swap\s"
    actions += [
        Command(
            run=f"swapoff -a && sed -ri 's/({swap_line})/#\\1/' /etc/fstab",
            unless=f"[ -z \"$(swapon --noheadings 2>/dev/null)\" ] && ! grep -Eq '{swap_line}' /etc/fstab",
        ),
        Command(run=f"hostnamectl set-hostname {host.name}", unless=f'[ "$(hostname)" = {host.name} ]'),
        _hosts_file(all_hosts),
        WriteFile("/etc/modules-load.d/kubernetes.conf", "overlay\nbr_netfilter\n"),
        Command(
            run="modprobe overlay && modprobe br_netfilter",
            # A loaded module has a /sys/module entry (/proc/modules lists only loadable ones).
            unless="[ -d /sys/module/overlay ] && [ -d /sys/module/br_netfilter ]",
        ),
        WriteFile(
            "/etc/sysctl.d/99-kubernetes.conf",
            "net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n",
        ),
        Command(
            run="sysctl --system",
            unless=(
                '[ "$(sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null)" = 1 ] && '
                '[ "$(sysctl -n net.bridge.bridge-nf-call-ip6tables 2>/dev/null)" = 1 ] && '
                '[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ]'
            ),
        ),
    ]
    chrony = "chronyd" if host.family == "rhel" else "chrony"
    actions.append(
        Command(
            run=f"{_install(host.family, 'chrony')} && systemctl enable --now {chrony}",
            unless=f"command -v chronyd >/dev/null && systemctl is-enabled -q {chrony}",
        )
    )
    return actions


def _apt_key(url: str, keyring: str, *, dearmor: bool) -> Command:
    """A repository's signing key into its own keyring, as its instructions say."""
    store = f"gpg --dearmor --yes -o {keyring}" if dearmor else f"cat > {keyring}"
    return Command(
        run=(
            f"{_install('debian', 'apt-transport-https ca-certificates curl gpg')}"
            f" && mkdir -p -m 755 /etc/apt/keyrings && curl -fsSL {shlex.quote(url)} | {store}"
        ),
        unless=f"[ -s {keyring} ]",
    )


def _runtime(host: HostInfo, spec: ClusterSpec) -> list:
    pause = f"{spec.image_repository}/pause:{PAUSE_VERSION}"
    mirror = spec.runtime_mirror.rstrip("/")
    if host.family == "rhel":
        repo = mirror or "https://download.docker.com/linux/centos"
        install = [
            Command(
                run=f"dnf config-manager --add-repo {shlex.quote(repo + '/docker-ce.repo')} && dnf install -y containerd.io",
                unless="command -v containerd >/dev/null",
            )
        ]
    elif mirror:
        # Docker's repository layout (download.docker.com/linux/debian or /ubuntu):
        # a suite per release codename, the "stable" component, the key at gpg.
        source = (
            f"deb [arch=$(dpkg --print-architecture) signed-by={DOCKER_KEYRING}] {mirror}"
            ' $(. /etc/os-release && echo "$VERSION_CODENAME") stable'
        )
        install = [
            _apt_key(f"{mirror}/gpg", DOCKER_KEYRING, dearmor=False),
            Command(
                run=f'echo "{source}" > {DOCKER_SOURCE}',
                unless=f'[ "$(cat {DOCKER_SOURCE} 2>/dev/null)" = "{source}" ]',
            ),
            Command(run=_install(host.family, "containerd.io"), unless="command -v containerd >/dev/null"),
        ]
    else:
        install = [Command(run=_install(host.family, "containerd"), unless="command -v containerd >/dev/null")]
    # The default configuration with the systemd cgroup driver and the chosen
    # sandbox image (containerd 1.x names it sandbox_image, 2.x sandbox).
    configure = Command(
        run=(
            "mkdir -p /etc/containerd && containerd config default"
            " | sed -e 's/SystemdCgroup = false/SystemdCgroup = true/'"
            f" -e 's#sandbox_image = .*#sandbox_image = \"{pause}\"#'"
            f" -e \"s#sandbox = .*#sandbox = '{pause}'#\" > /etc/containerd/config.toml"
            " && systemctl restart containerd && systemctl enable containerd"
        ),
        unless=(
            "grep -q 'SystemdCgroup = true' /etc/containerd/config.toml 2>/dev/null"
            f" && grep -qF {shlex.quote(pause)} /etc/containerd/config.toml"
        ),
    )
    return [*install, configure]


def _packages(host: HostInfo, spec: ClusterSpec) -> list:
    url = spec.packages_url(host.family)
    version = spec.package_version
    if host.family == "rhel":
        repo = (
            "[kubernetes]\nname=Kubernetes\n"
            f"baseurl={url}\nenabled=1\ngpgcheck=1\ngpgkey={url}repodata/repomd.xml.key\n"
            "exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\n"
        )
        return [
            WriteFile("/etc/yum.repos.d/kubernetes.repo", repo),
            Command(
                run=(
                    f"dnf install -y kubelet-{version} kubeadm-{version} kubectl-{version}"
                    " --disableexcludes=kubernetes && systemctl enable --now kubelet"
                ),
                unless=f"[ \"$(rpm -q --qf '%{{VERSION}}' kubeadm 2>/dev/null)\" = {version} ]",
            ),
        ]
    source = f"deb [signed-by={APT_KEYRING}] {url} /"
    pins = " ".join(f"{p}='{version}-*'" for p in ("kubelet", "kubeadm", "kubectl"))
    held = " && ".join(
        f"dpkg-query -W -f='${{Version}}' {p} 2>/dev/null | grep -q '^{version}-' && apt-mark showhold | grep -qx {p}"
        for p in ("kubelet", "kubeadm", "kubectl")
    )
    return [
        _apt_key(url + "Release.key", APT_KEYRING, dearmor=True),
        WriteFile(APT_SOURCE, source + "\n"),
        Command(
            run=(
                "DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive "
                f"apt-get install -y -q --allow-change-held-packages {pins}"
                " && apt-mark hold kubelet kubeadm kubectl && systemctl enable --now kubelet"
            ),
            unless=held,
        ),
    ]


def plan_steps(
    spec: ClusterSpec, hosts: dict[str, HostInfo], *, init_config: str, join_configs: dict[str, str]
) -> list[Step]:
    """The ordered steps. `hosts` maps the plan's host names to what the plan
    needs of them; the kubeadm files (the join file per worker: it names the
    node) are rendered by kubeadm_config."""
    control_plane = [hosts[name] for name in spec.plan.control_plane]
    workers = [hosts[name] for name in spec.plan.workers]
    everyone = [*control_plane, *workers]

    def ports(host):
        return CONTROL_PLANE_PORTS if host in control_plane else WORKER_PORTS

    # The titles become the job's step names: stored as message ids, shown translated.
    steps = [
        Step(
            "prepare",
            Message(gettext_noop("Prepare the host")),
            {h.name: _prepare(h, ports(h), everyone, spec) for h in everyone},
        ),
        Step(
            "runtime",
            Message(gettext_noop("Install and configure containerd")),
            {h.name: _runtime(h, spec) for h in everyone},
        ),
        Step(
            "packages",
            Message(gettext_noop("Install kubeadm, kubelet and kubectl")),
            {h.name: _packages(h, spec) for h in everyone},
        ),
        Step(
            "init",
            Message(gettext_noop("kubeadm init")),
            {
                h.name: [
                    WriteFile(KUBEADM_INIT_FILE, init_config, mode=0o600, secret=True, done_when=INIT_DONE),
                    Command(
                        run=f"kubeadm init --config {KUBEADM_INIT_FILE}; status=$?; rm -f {KUBEADM_INIT_FILE}; exit $status",
                        unless=INIT_DONE,
                    ),
                ]
                for h in control_plane
            },
        ),
        Step(
            "register",
            Message(gettext_noop("Register the cluster in the portal")),
            portal=(
                PortalAction(
                    "register",
                    _(
                        "Read /etc/kubernetes/admin.conf, store it encrypted and register the cluster like an imported one."
                    ),
                ),
            ),
            on=tuple(h.name for h in control_plane),
        ),
        Step(
            "network",
            Message(gettext_noop("Apply the pod network")),
            portal=(
                PortalAction(
                    "network",
                    _("Apply the %(addon)s manifest with its pod network set to %(cidr)s.")
                    % {"addon": spec.network_addon, "cidr": spec.plan.pod_cidr},
                ),
            ),
        ),
    ]
    if workers:
        steps.append(
            Step(
                "join",
                Message(gettext_noop("kubeadm join")),
                {
                    h.name: [
                        WriteFile(
                            KUBEADM_JOIN_FILE, join_configs[h.name], mode=0o600, secret=True, done_when=JOIN_DONE
                        ),
                        Command(
                            run=f"kubeadm join --config {KUBEADM_JOIN_FILE}; status=$?; rm -f {KUBEADM_JOIN_FILE}; exit $status",
                            unless=JOIN_DONE,
                        ),
                    ]
                    for h in workers
                },
                portal=(
                    PortalAction(
                        "token", _("Make the join token valid for another hour (the portal writes its Secret).")
                    ),
                ),
            )
        )
    steps.append(
        Step(
            "ready",
            Message(gettext_noop("Wait for every node to be Ready")),
            portal=(PortalAction("ready", _("Wait for every node to be Ready and label the workers' role.")),),
        )
    )
    return steps


def dry_run(steps: list[Step], *, placeholders: bool = False) -> list[dict]:
    """The plan as people read it: per step and host, each command (its check
    first) and each file with its content, secrets left out. With
    `placeholders`, the steps were rendered with SECRET in place of every
    secret (the preview), so the kubeadm files can be shown as they will be."""
    shown = []
    for step in steps:
        for host, actions in step.actions.items():
            lines = []
            for action in actions:
                if isinstance(action, WriteFile):
                    content = SECRET if action.secret and not placeholders else action.content
                    shown_file = {"file": action.path, "mode": f"{action.mode:04o}", "content": content}
                    lines.append({**shown_file, "unless": action.done_when} if action.done_when else shown_file)
                else:
                    lines.append({"unless": action.unless, "run": action.run, "sudo": action.sudo})
            shown.append({"step": step.name, "title": str(step.title), "host": host, "actions": lines})
        for action in step.portal:
            shown.append(
                {
                    "step": step.name,
                    "title": str(step.title),
                    "host": ", ".join(step.on),
                    "portal": str(action.description),
                }
            )
    return shown
