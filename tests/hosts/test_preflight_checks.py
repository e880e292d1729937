"""The preflight checks as pure functions: the cases the test hosts (Debian
12, no swap, the runner's clock) cannot show."""

import pytest
from django.utils import translation

from hosts import checks
from hosts.facts import human_bytes


@pytest.mark.parametrize(
    ("os_id", "version", "id_like", "code"),
    [
        ("ubuntu", "20.04", "debian", "os.ok"),
        ("ubuntu", "24.04", "debian", "os.ok"),
        ("ubuntu", "18.04", "debian", "os.old"),
        ("debian", "11", "", "os.ok"),
        ("debian", "10", "", "os.old"),
        ("debian", "", "", "os.old"),  # testing/sid: no VERSION_ID
        ("rocky", "8.9", "rhel centos fedora", "os.ok"),
        ("almalinux", "9.4", "rhel centos fedora", "os.ok"),
        ("centos", "7", "rhel fedora", "os.old"),
        ("rhel", "8.10", "fedora", "os.ok"),
        ("fedora", "40", "", "os.unsupported"),
        ("arch", "", "", "os.unsupported"),
    ],
)
def test_it_supports_ubuntu_20_04_debian_11_and_rhel_family_8_on(os_id, version, id_like, code):
    outcome = checks.check_os({"id": os_id, "version_id": version, "id_like": id_like, "pretty_name": "X"})
    assert outcome.code == code
    assert outcome.status == (checks.PASS if code == "os.ok" else checks.FAIL)


def test_a_too_old_release_says_which_is_needed():
    outcome = checks.check_os({"id": "ubuntu", "version_id": "18.04", "pretty_name": "Ubuntu 18.04.6 LTS"})
    with translation.override("en"):
        message, remedy = checks.render(outcome.code, outcome.params)
    assert message == "Ubuntu 18.04.6 LTS is too old: Ubuntu 20.04 or newer is needed."
    assert remedy == "Upgrade the host to Ubuntu 20.04 or newer, or pick another host."


@pytest.mark.parametrize(
    ("hostname", "valid"),
    [("node-1", True), ("node-1.example.com", True), ("Node1", False), ("node_1", False), ("-x", False), ("", False)],
)
def test_a_hostname_must_be_a_kubernetes_node_name(hostname, valid):
    assert (checks.check_hostname(hostname).status == checks.PASS) is valid


def test_hostnames_are_unique_regardless_of_case():
    outcomes = checks.check_hostnames_unique({"a": "node-1", "b": "NODE-1", "c": "node-3"})
    assert {name: o.status for name, o in outcomes.items()} == {"a": "fail", "b": "fail", "c": "pass"}
    assert outcomes["a"].params["others"] == "b"


def test_the_resource_minimum_is_kubeadms():
    low = checks.check_resources({"cpus": 1, "memory_bytes": 1700 * 1024 * 1024 - 1})
    assert [(o.key, o.status) for o in low] == [("cpus", "fail"), ("memory", "fail")]
    enough = checks.check_resources({"cpus": 2, "memory_bytes": 1700 * 1024 * 1024})
    assert [o.status for o in enough] == ["pass", "pass"]
    assert human_bytes(1700 * 1024 * 1024) == "1.7 GiB"


def test_listeners_are_read_from_proc_net_tcp_and_tcp6():
    lines = [
        "  sl  local_address rem_address   st tx_queue rx_queue",
        "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0",
        "   1: 0100007F:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0",  # 127.0.0.1:9090
        "   2: 0B0012C6:0016 0C0012C6:D2F0 01 00000000:00000000 00:00000000 00000000     0",  # established
        "   0: 00000000000000000000000000000000:192B 00000000000000000000000000000000:0000 0A 0",  # [::]:6443
        "   1: 00000000000000000000000000000000:7917 00000000000000000000000000000000:0000 0A 0",  # [::]:30999
    ]
    ports = checks.listening_ports(lines)
    assert ports == {22, 9090, 6443, 30999}
    control_plane = checks.check_ports(ports, control_plane=True)
    assert (control_plane.status, control_plane.params["ports"]) == ("fail", "6443")
    worker = checks.check_ports(ports, control_plane=False)
    assert (worker.status, worker.params["ports"]) == ("fail", "30999")  # the NodePort range
    assert checks.check_ports({22}, control_plane=False).status == "pass"


def test_swap_on_is_a_warning_the_bootstrap_resolves():
    outcome = checks.check_swap({"swap_total_bytes": 2 * 1024**3})
    assert (outcome.status, outcome.params) == ("warn", {"total": "2.0 GiB"})
    assert checks.check_swap({"swap_total_bytes": 0}).status == "pass"


@pytest.mark.parametrize(
    ("offset", "status"), [(0.0, "pass"), (-0.4, "pass"), (0.7, "warn"), (-1.5, "fail"), (30.0, "fail"), (None, "warn")]
)
def test_clock_skew_warns_from_half_a_second_and_fails_beyond_one(offset, status):
    assert checks.check_time(offset).status == status


def test_a_range_overlapping_a_host_network_of_its_family_fails():
    addresses = [
        {"interface": "eth0", "network": "192.168.1.0/24"},
        {"interface": "eth1", "network": "fd00::/64"},
    ]
    assert checks.check_cidr("pod_cidr", "10.244.0.0/16", addresses, "x").status == "pass"
    overlap = checks.check_cidr("pod_cidr", "192.168.0.0/16", addresses, "10.244.0.0/16")
    assert (overlap.status, overlap.params["networks"]) == ("fail", "192.168.1.0/24 (eth0)")
    assert checks.check_cidr("service_cidr", "fd00::/108", addresses, "x").status == "fail"


def test_a_cluster_is_recognised_by_the_portal_its_files_or_a_running_kubelet():
    assert checks.check_cluster(portal_cluster="", files=[], kubelet_pids=[]).status == "pass"
    assert checks.check_cluster(portal_cluster="Prod", files=[], kubelet_pids=[]).code == "cluster.portal"
    files = ["/etc/kubernetes/manifests/etcd.yaml"]
    assert checks.check_cluster(portal_cluster="", files=files, kubelet_pids=[]).code == "cluster.files"
    assert checks.check_cluster(portal_cluster="", files=[], kubelet_pids=["812"]).code == "cluster.kubelet"


def test_every_message_renders_with_its_parameters():
    # An outcome's stored code and parameters always make a message (any language).
    for code in checks.MESSAGES:
        message, _remedy = checks.render(code, {})
        assert message  # missing parameters fall back to the code, never raise
    assert checks.render("no.such.code", {"a": 1})[0] == "no.such.code"
