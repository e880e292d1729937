"""The real `kubeadm init` and `kubeadm join` complete on two test hosts with
the STAND-IN kubelet and containerd (testhosts/kube/): the control plane is the
devcluster's real etcd, kube-apiserver, kube-controller-manager and
kube-scheduler, run from the static Pods kubeadm writes; the worker gets its
client certificate through a CSR that the new cluster's own controllers
approve and sign; both Nodes end Ready.

Preflight checks ignored, and why (only what a test host cannot satisfy):
* SystemVerification: the runner's kernel decides it (here: cgroups v1, which
  kubelet >= 1.35 refuses); a test host shares that kernel.
* FileContent--proc-sys-net-ipv4-ip_forward: /proc/sys is read-only on a test
  host (kernel settings are the machine's; `sysctl` is a stand-in).
"""

import json
import shlex

import pytest

from devcluster.processes import wait_for
from testhosts import kubenode
from tests.testhosts.clients import ssh

pytestmark = pytest.mark.testhosts

IGNORED_PREFLIGHT = "SystemVerification,FileContent--proc-sys-net-ipv4-ip_forward"
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
IMAGE_REPOSITORY = "registry.aliyuncs.com/google_containers"
ADMIN = "kubectl --kubeconfig /etc/kubernetes/admin.conf"

KUBEADM_CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: {address}
nodeRegistration:
  criSocket: {cri_socket}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
imageRepository: {image_repository}
networking:
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
"""

# As a bootstrap's runtime step would: containerd's default configuration with
# the systemd cgroup driver and the sandbox image from the image repository.
PREPARE_RUNTIME = f"""set -e
mkdir -p /etc/containerd
containerd config default | sed -e 's/SystemdCgroup = false/SystemdCgroup = true/' \\
  -e 's#sandbox_image = .*#sandbox_image = "{IMAGE_REPOSITORY}/pause:3.10.1"#' >/etc/containerd/config.toml
systemctl enable --now containerd
systemctl enable --now kubelet
"""


def kubectl_json(host, args: str) -> dict:
    return json.loads(host.run(f"{ADMIN} {args} -o json"))


def ready_nodes(host) -> set[str]:
    nodes = kubectl_json(host, "get nodes")["items"]
    return {
        node["metadata"]["name"]
        for node in nodes
        if any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])
    }


def apiserver_pid(host) -> str:
    return host.run("pgrep -f '^/usr/lib/kubelet-standin/images/kube-apiserver '").split()[0]


def scheduler_argv(host) -> str:
    return host.run("pgrep -af '^/usr/lib/kubelet-standin/images/kube-scheduler ' || true").strip()


def test_kubeadm_init_and_join_with_the_standins(testhosts):
    control, worker = testhosts(2)
    for host in (control, worker):
        kubenode.install(host)
        host.run(PREPARE_RUNTIME)
        assert host.run("kubeadm version -o short").strip() == "v1.37.2"

    config = KUBEADM_CONFIG.format(address=control.address, cri_socket=CRI_SOCKET, image_repository=IMAGE_REPOSITORY)
    control.write_file("/root/kubeadm.yaml", config)
    init = control.run(
        f"kubeadm init --config /root/kubeadm.yaml --ignore-preflight-errors={IGNORED_PREFLIGHT} 2>&1",
        timeout=420,
    )
    assert "Your Kubernetes control-plane has initialized successfully!" in init
    # kubeadm pulled the images through the CRI (bookkeeping in the stand-in).
    images = control.run("cat /var/lib/containerd-standin/images.json")
    assert f"{IMAGE_REPOSITORY}/kube-apiserver:v1.37.2" in images

    join = control.run("kubeadm token create --print-join-command").strip()
    assert join.startswith(f"kubeadm join {control.address}:6443 --token ")
    joined = worker.run(
        f"{join} --cri-socket {CRI_SOCKET} --ignore-preflight-errors={IGNORED_PREFLIGHT} 2>&1", timeout=420
    )
    assert "This node has joined the cluster" in joined

    assert wait_for(lambda: ready_nodes(control) == {control.name, worker.name}, 180, 1, "both nodes Ready")
    nodes = {n["metadata"]["name"]: n for n in kubectl_json(control, "get nodes")["items"]}
    assert "node-role.kubernetes.io/control-plane" in nodes[control.name]["metadata"]["labels"]
    assert {t["key"] for t in nodes[control.name]["spec"].get("taints", [])} == {
        "node-role.kubernetes.io/control-plane"
    }
    assert "node-role.kubernetes.io/control-plane" not in nodes[worker.name]["metadata"]["labels"]
    assert nodes[worker.name]["status"]["nodeInfo"]["kubeletVersion"] == "v1.37.2"

    # The worker's identity came from the TLS bootstrap: a CSR of the bootstrap
    # token, approved and signed by the cluster's controller-manager.
    csrs = kubectl_json(control, "get csr")["items"]
    bootstrap = [c for c in csrs if c["spec"]["username"].startswith("system:bootstrap:")]
    assert len(bootstrap) == 1
    assert bootstrap[0]["status"].get("certificate")
    assert any(c["type"] == "Approved" for c in bootstrap[0]["status"]["conditions"])
    worker_kubeconfig = worker.read_file("/etc/kubernetes/kubelet.conf")
    assert "client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem" in worker_kubeconfig
    subject = worker.run(
        "openssl x509 -noout -subject -in /var/lib/kubelet/pki/kubelet-client-current.pem", check=False
    )
    if subject:  # openssl is not in every base root
        assert f"system:node:{worker.name}" in subject

    # The cluster keeps what kubeadm was given.
    kubeadm_config = kubectl_json(control, "-n kube-system get configmap kubeadm-config")["data"][
        "ClusterConfiguration"
    ]
    for expected in ("podSubnet: 10.244.0.0/16", "serviceSubnet: 10.96.0.0/12", f"imageRepository: {IMAGE_REPOSITORY}"):
        assert expected in kubeadm_config

    # The control plane runs as the static Pods' processes, with mirror Pods;
    # the add-ons' Pods are reported Running on the nodes they were bound to.
    def pods_running():
        pods = kubectl_json(control, "-n kube-system get pods")["items"]
        phases = {p["metadata"]["name"]: p["status"].get("phase") for p in pods}
        return phases if phases and all(phase == "Running" for phase in phases.values()) else None

    phases = wait_for(pods_running, 180, 1, "kube-system Pods Running")
    for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert f"{component}-{control.name}" in phases
    assert sum(name.startswith("kube-proxy-") for name in phases) == 2

    # `kubectl logs` of a static Pod: its process's output, through the API
    # server and the stand-in kubelet's API (:10250, client certificates only).
    logs = control.run(f"{ADMIN} -n kube-system logs kube-scheduler-{control.name}")
    assert "Serving securely on 127.0.0.1:10259" in logs
    assert len(control.run(f"{ADMIN} -n kube-system logs kube-scheduler-{control.name} --tail=2").splitlines()) == 2

    # A restart of the kubelet (as kubeadm's kubelet-finalize does) leaves the
    # control plane's processes running, as containers outlive the kubelet.
    before = apiserver_pid(control)
    control.run("systemctl restart kubelet")
    assert apiserver_pid(control) == before
    assert control.name in ready_nodes(control)

    # A changed manifest restarts its Pod with the new command (as `kubeadm
    # upgrade` relies on); a removed one stops it; put back, it runs again.
    manifest = "/etc/kubernetes/manifests/kube-scheduler.yaml"
    control.run(f"sed -i 's/- --leader-elect=true/- --leader-elect=true\\n    - --v=3/' {manifest}")
    assert "--v=3" in control.read_file(manifest)
    wait_for(lambda: scheduler_argv(control).endswith(" --v=3"), 60, 0.5, "the scheduler restarted with --v=3")
    control.run(f"mv {manifest} /root/kube-scheduler.yaml")
    wait_for(lambda: scheduler_argv(control) == "", 60, 0.5, "the scheduler stopped")
    control.run(f"mv /root/kube-scheduler.yaml {manifest}")
    wait_for(lambda: scheduler_argv(control) != "", 60, 0.5, "the scheduler running again")

    # `kubeadm reset` on the worker stops its kubelet; the control plane is
    # untouched, and the Node can be deleted.
    worker.run(f"kubeadm reset -f --cri-socket {CRI_SOCKET} 2>&1", timeout=180)
    assert worker.run("systemctl is-active kubelet", check=False).strip() == "inactive"
    assert not worker.path("/etc/kubernetes/kubelet.conf").exists()
    control.run(f"{ADMIN} delete node {shlex.quote(worker.name)}")
    assert ready_nodes(control) == {control.name}


DEMO_UNIT = """\
[Unit]
Description=a service for the systemctl stand-in's test

[Service]
ExecStart=/bin/false
Restart=always
RestartSec=1
"""
DEMO_DROPIN = """\
[Service]
Environment="DEMO_ARGS=--one --two"
EnvironmentFile=-/etc/default/demo
EnvironmentFile=-/etc/default/missing
ExecStart=
ExecStart=/bin/sh -c 'echo "$0 $*"; exec sleep 600' demo $DEMO_ARGS ${DEMO_NAME}
"""


def demo_pid(host) -> str:
    return host.run("pgrep -f '^sleep 600$' || true").strip()


def test_systemctl_runs_a_unit_from_its_unit_file(testhosts):
    """What kubeadm's `systemctl restart kubelet` relies on: the unit file with
    its drop-ins and environment files decides what runs; a crashed service
    comes back (Restart=always); stop ends it; its output is in its journal."""
    (host,) = testhosts(1)
    host.write_file("/usr/lib/systemd/system/demo.service", DEMO_UNIT)
    host.write_file("/etc/systemd/system/demo.service.d/10-args.conf", DEMO_DROPIN)
    host.write_file("/etc/default/demo", 'DEMO_NAME="one word"\n')

    ssh(host, "systemctl enable --now demo", user="root")
    first = wait_for(lambda: demo_pid(host), 30, 0.2, "the demo service running")
    assert ssh(host, "systemctl is-active demo", user="root").stdout == "active\n"
    assert wait_for(lambda: "demo --one --two one word" in host.read_file("/var/log/demo.log"), 30, 0.2, "its output")
    assert "demo --one --two one word" in ssh(host, "journalctl -xeu demo", user="root").stdout

    host.run(f"kill -9 {first}")
    second = wait_for(lambda: demo_pid(host) not in ("", first) and demo_pid(host), 30, 0.2, "a restart")
    assert second != first

    ssh(host, "systemctl stop demo", user="root")
    assert demo_pid(host) == ""
    assert ssh(host, "systemctl is-active demo", user="root", check=False).stdout == "inactive\n"
    # A unit whose program is missing fails, and says so in its journal.
    host.write_file("/usr/lib/systemd/system/broken.service", "[Service]\nExecStart=/usr/bin/not-installed\n")
    ssh(host, "systemctl start broken", user="root")
    wait_for(lambda: "failed to start" in host.read_file("/var/log/broken.log"), 30, 0.2, "the failure logged")
    wait_for(
        lambda: ssh(host, "systemctl is-active broken", user="root", check=False).stdout == "inactive\n",
        30,
        0.2,
        "the broken unit inactive",
    )
    # A unit that keeps failing is given up after systemd's start limit.
    host.write_file("/usr/lib/systemd/system/flaky.service", "[Service]\nExecStart=/bin/false\nRestart=always\n")
    ssh(host, "systemctl start flaky", user="root")
    wait_for(lambda: "repeated too quickly" in host.read_file("/var/log/flaky.log"), 30, 0.2, "flaky given up")
    # The host's own sshd (its PID 1) is never started a second time.
    ssh(host, "systemctl restart ssh", user="root")
    assert not host.path("/var/log/ssh.log").exists()
    # A unit without a unit file is only remembered, as before.
    ssh(host, "systemctl start chronyd", user="root")
    assert ssh(host, "systemctl is-active chronyd", user="root").stdout == "active\n"
