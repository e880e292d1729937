"""The kubeadm bootstrap plan, before anything runs: the spec's rules, the
kubeadm configuration files, the commands per OS family, the dry run that
never shows a secret; and, on a real test host, that the prepare actions
check before they change (a second run changes nothing)."""

import shlex

import pytest
import yaml

from clusters.bootstrap import kubeadm_config, plan
from clusters.bootstrap.spec import ClusterSpec, spec_validate
from hosts import services
from hosts.preflight import Plan
from portal.errors import PortalError

pytestmark = pytest.mark.django_db

TOKEN = "abcdef.0123456789abcdef"


@pytest.fixture
def three():
    credential = services.ssh_credential_create(name="pw", kind="password", password="pw-1")
    for n, name in enumerate(("cp-1", "node-1", "node-2"), start=11):
        services.host_create(name=name, address=f"198.18.9.{n}", credential=credential)


def _spec(**changes) -> ClusterSpec:
    return ClusterSpec(plan=Plan(("cp-1",), ("node-1", "node-2")), **changes)


def _hosts(family="debian"):
    return {
        name: plan.HostInfo(name, f"198.18.9.{n}", family)
        for n, name in enumerate(("cp-1", "node-1", "node-2"), start=11)
    }


def _steps(spec, family="debian"):
    joins = {name: f"token: {TOKEN}\nname: {name}\n" for name in spec.plan.workers}
    return plan.plan_steps(spec, _hosts(family), init_config="init: x\n", join_configs=joins)


def _commands(step, host) -> str:
    return "\n".join(a.run if isinstance(a, plan.Command) else a.path for a in step.actions[host])


def test_the_spec_takes_the_source_notes_defaults(three):
    spec = spec_validate(control_plane=["cp-1"], workers=["node-1", "node-2"])
    assert (spec.version, spec.plan.pod_cidr, spec.plan.service_cidr) == ("v1.37.2", "10.244.0.0/16", "10.96.0.0/12")
    assert spec.image_repository == "registry.k8s.io" and spec.network_addon == "flannel"
    assert spec.packages_url("debian") == "https://pkgs.k8s.io/core:/stable:/v1.37/deb/"
    assert ClusterSpec.from_params(spec.as_params()) == spec


def test_the_spec_refuses_with_a_message_per_field(three):
    with pytest.raises(PortalError) as refused:
        spec_validate(
            control_plane=["cp-1", "node-1"],
            workers=["node-2", "nope"],
            version="1.37",
            advertise_address="127.0.0.1",
            image_repository="https://registry.example/",
            packages_mirror="ftp://mirror",
            network_addon="weave",
            ignore_preflight_errors=["Swap", "rm -rf /"],
            pod_cidr="10.96.0.0/16",
        )
    errors = refused.value.field_errors
    assert set(errors) == {
        "control_plane",
        "workers",
        "version",
        "advertise_address",
        "image_repository",
        "packages_mirror",
        "network_addon",
        "ignore_preflight_errors",
        "service_cidr",
    }
    assert "load balancer" in " ".join(errors["control_plane"])
    assert "loopback" in errors["advertise_address"][0]
    assert "rm -rf /" in errors["ignore_preflight_errors"][0]


def test_the_init_configuration_carries_the_spec():
    spec = _spec(image_repository="registry.aliyuncs.com/google_containers", ignore_preflight_errors=("Swap",))
    text = kubeadm_config.init_config(spec, node_name="cp-1", advertise_address="198.18.9.11", token=TOKEN)
    init, cluster, kubelet = yaml.safe_load_all(text)
    assert init["kind"] == "InitConfiguration" and init["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert init["localAPIEndpoint"] == {"advertiseAddress": "198.18.9.11", "bindPort": 6443}
    assert init["nodeRegistration"]["name"] == "cp-1"
    assert init["nodeRegistration"]["criSocket"] == "unix:///run/containerd/containerd.sock"
    assert init["nodeRegistration"]["ignorePreflightErrors"] == ["Swap"]
    assert init["bootstrapTokens"][0]["token"] == TOKEN
    assert cluster["kubernetesVersion"] == "v1.37.2"
    assert cluster["imageRepository"] == "registry.aliyuncs.com/google_containers"
    assert cluster["networking"] == {"podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12"}
    assert cluster["controlPlaneEndpoint"] == "198.18.9.11:6443"
    assert kubelet == {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "cgroupDriver": "systemd",
    }
    # An explicit advertise address wins over the host's.
    text = kubeadm_config.init_config(
        _spec(advertise_address="198.18.9.99"), node_name="cp-1", advertise_address="198.18.9.11", token=TOKEN
    )
    assert next(yaml.safe_load_all(text))["localAPIEndpoint"]["advertiseAddress"] == "198.18.9.99"


def test_the_join_configuration_pins_the_cluster_ca():
    ca = kubeadm_config.ca_cert_hash(b"spki-der")
    join = yaml.safe_load(
        kubeadm_config.join_config(_spec(), node_name="node-1", api_server="198.18.9.11:6443", token=TOKEN, ca_hash=ca)
    )
    assert join["kind"] == "JoinConfiguration"
    assert join["discovery"]["bootstrapToken"] == {
        "apiServerEndpoint": "198.18.9.11:6443",
        "token": TOKEN,
        "caCertHashes": [ca],
    }
    assert ca.startswith("sha256:") and len(ca) == 7 + 64


def test_bootstrap_tokens_have_kubeadms_shape_and_differ():
    tokens = {kubeadm_config.bootstrap_token() for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) == 23 and t[6] == "." and t.replace(".", "").isalnum() and t == t.lower() for t in tokens)


def test_the_plan_orders_the_stages_and_targets_roles():
    steps = _steps(_spec())
    assert [s.name for s in steps] == ["prepare", "runtime", "packages", "init", "register", "network", "join", "ready"]
    assert set(steps[0].actions) == {"cp-1", "node-1", "node-2"}
    assert set(steps[3].actions) == {"cp-1"} and set(steps[6].actions) == {"node-1", "node-2"}
    # The portal's own steps: register reads the control plane's admin.conf; the rest talk to the API server.
    assert steps[4].actions == {} and steps[4].hosts == ("cp-1",) and steps[4].portal
    assert steps[5].hosts == () and steps[5].portal and steps[7].hosts == () and steps[7].portal
    no_workers = plan.plan_steps(ClusterSpec(plan=Plan(("cp-1",), ())), _hosts(), init_config="", join_configs={})
    assert [s.name for s in no_workers][-2:] == ["network", "ready"]


def test_debian_hosts_use_apt_and_the_mirror_and_hold_the_packages():
    mirror = "http://198.18.9.1:8080/core:/stable:/v1.37/deb/"
    steps = {s.name: s for s in _steps(_spec(packages_mirror=mirror))}
    packages = steps["packages"].actions["node-1"]
    source = next(a for a in packages if isinstance(a, plan.WriteFile))
    assert source.path == "/etc/apt/sources.list.d/kubernetes.list"
    assert source.content == f"deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] {mirror} /\n"
    text = _commands(steps["packages"], "node-1")
    assert f"curl -fsSL {shlex.quote(mirror + 'Release.key')}" in text
    assert "kubeadm='1.37.2-*'" in text and "apt-mark hold kubelet kubeadm kubectl" in text
    assert "dnf" not in text
    assert "apt-get install -y -q containerd" in _commands(steps["runtime"], "node-1")
    assert "docker" not in _commands(steps["runtime"], "node-1")
    assert "ufw allow 10250/tcp" in _commands(steps["prepare"], "node-1")
    assert "ufw allow 6443/tcp" in _commands(steps["prepare"], "cp-1")


def test_a_runtime_mirror_is_added_as_dockers_repository():
    mirror = "http://198.18.9.1:8080/linux/debian"
    runtime = _commands({s.name: s for s in _steps(_spec(runtime_mirror=mirror + "/"))}["runtime"], "node-1")
    assert f"curl -fsSL {mirror}/gpg | cat > /etc/apt/keyrings/docker.asc" in runtime
    assert f"signed-by=/etc/apt/keyrings/docker.asc] {mirror} $(. /etc/os-release" in runtime
    assert "apt-get install -y -q containerd.io" in runtime


def test_rhel_hosts_use_dnf_selinux_permissive_and_firewalld():
    steps = {s.name: s for s in _steps(_spec(), family="rhel")}
    prepare = _commands(steps["prepare"], "cp-1")
    assert "setenforce 0" in prepare and "SELINUX=permissive" in prepare
    assert "firewall-cmd --permanent --add-port=6443/tcp --add-port=2379-2380/tcp" in prepare
    assert "systemctl enable --now chronyd" in prepare
    repo = next(a for a in steps["packages"].actions["cp-1"] if isinstance(a, plan.WriteFile))
    assert "baseurl=https://pkgs.k8s.io/core:/stable:/v1.37/rpm/" in repo.content
    assert "dnf install -y kubelet-1.37.2 kubeadm-1.37.2 kubectl-1.37.2" in _commands(steps["packages"], "cp-1")
    assert "apt-get" not in _commands(steps["packages"], "cp-1")


def test_containerd_gets_the_systemd_cgroup_driver_and_the_chosen_sandbox_image():
    steps = {s.name: s for s in _steps(_spec(image_repository="registry.aliyuncs.com/google_containers"))}
    runtime = _commands(steps["runtime"], "cp-1")
    assert "SystemdCgroup = true" in runtime
    assert "registry.aliyuncs.com/google_containers/pause:3.10.1" in runtime


def test_the_dry_run_shows_every_command_but_no_secret():
    shown = plan.dry_run(_steps(_spec()))
    text = repr(shown)
    assert TOKEN not in text and "init: x" not in text
    join = next(s for s in shown if s["step"] == "join" and s["host"] == "node-1")
    assert join["actions"][0] == {
        "file": plan.KUBEADM_JOIN_FILE,
        "mode": "0600",
        "content": plan.SECRET,
        # Not written again once the node has joined (the file is removed after use).
        "unless": "test -f /etc/kubernetes/kubelet.conf",
    }
    assert "kubeadm join --config" in join["actions"][1]["run"]
    assert any(s.get("portal") and "flannel" in s["portal"] for s in shown)


def _apply(host, actions) -> list[str]:
    """Run actions as the bootstrap does, as root on the host: skip what its
    check says is done. Returns what changed."""
    changed = []
    for action in actions:
        if host.run(f"sh -c {shlex.quote(action.unless)} && echo done || echo todo").strip() == "done":
            continue
        if isinstance(action, plan.WriteFile):
            host.write_file(action.path, action.content)
            changed.append(action.path)
        else:
            host.run(f"sh -c {shlex.quote(action.run)}")
            changed.append(action.run.split()[0])
    return changed


@pytest.mark.testhosts
def test_prepare_on_a_real_host_changes_it_once_and_then_nothing(testhosts):
    (machine,) = testhosts(1)
    machine.run("printf '%s\\n' '/swapfile none swap sw 0 0' 'proc /proc proc defaults 0 0' >> /etc/fstab")
    before_hosts = machine.read_file("/etc/hosts")
    spec = ClusterSpec(plan=Plan((machine.name,), ()))
    info = plan.HostInfo(machine.name, machine.address, "debian")
    others = [info, plan.HostInfo("node-9", "198.18.9.99", "debian")]
    # Left out here: chrony (needs a package mirror) and the hostname (root on
    # a test host may not change its live hostname, so hostnamectl's stand-in
    # writes /etc/hostname only).
    skipped = ("chrony", "hostnamectl")
    actions = [
        a
        for a in plan._prepare(info, plan.CONTROL_PLANE_PORTS, others, spec)
        if not (isinstance(a, plan.Command) and any(word in a.run for word in skipped))
    ]
    first = _apply(machine, actions)
    assert first == [
        "swapoff",
        "{",
        "/etc/modules-load.d/kubernetes.conf",
        "modprobe",
        "/etc/sysctl.d/99-kubernetes.conf",
        "sysctl",
    ]
    assert machine.run("sysctl -n net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables") == "1\n1\n"
    assert "#/swapfile none swap sw 0 0" in machine.read_file("/etc/fstab")
    hosts_file = machine.read_file("/etc/hosts")
    assert hosts_file.startswith(before_hosts)
    assert f"{plan.HOSTS_BEGIN}\n{machine.address} {machine.name}\n198.18.9.99 node-9\n{plan.HOSTS_END}\n" in hosts_file
    assert machine.read_file("/etc/modules-load.d/kubernetes.conf") == "overlay\nbr_netfilter\n"
    # Everything is done: a second run changes nothing.
    assert _apply(machine, actions) == []
    assert machine.read_file("/etc/hosts") == hosts_file
    # A changed cluster rewrites only the managed block.
    moved = [info, plan.HostInfo("node-9", "198.18.9.98", "debian")]
    again = [plan._hosts_file(moved)]
    assert _apply(machine, again) == ["{"]
    text = machine.read_file("/etc/hosts")
    assert "198.18.9.98 node-9" in text and "198.18.9.99" not in text and text.count(plan.HOSTS_BEGIN) == 1
