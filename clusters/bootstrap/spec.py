"""What an admin asks for when the portal brings up a cluster with kubeadm.

The hosts and CIDRs are a preflight plan (hosts.preflight.Plan, validated by
the same rules); the rest is what kubeadm, the package sources and the pod
network need. Everything has the source notes' defaults except where a site
must choose (its mirrors).
"""

import ipaddress
import re
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

from hosts import preflight
from portal.errors import PortalError

# The devcluster's Kubernetes: the version the portal is tested with.
DEFAULT_VERSION = "v1.37.2"
UPSTREAM_IMAGE_REPOSITORY = "registry.k8s.io"
# pkgs.k8s.io keeps one repository per minor version; {minor} is "v1.37".
UPSTREAM_PACKAGES_DEB = "https://pkgs.k8s.io/core:/stable:/{minor}/deb/"
UPSTREAM_PACKAGES_RPM = "https://pkgs.k8s.io/core:/stable:/{minor}/rpm/"
NETWORK_ADDONS = ("flannel", "calico")
# Where each add-on's manifest comes from unless the admin gives a URL or uploads one.
DEFAULT_ADDON_MANIFESTS = {
    "flannel": "https://github.com/flannel-io/flannel/releases/latest/download/kube-flannel.yml",
    "calico": "https://raw.githubusercontent.com/projectcalico/calico/v3.29.1/manifests/calico.yaml",
}
CRI_SOCKET = "unix:///run/containerd/containerd.sock"

_VERSION = re.compile(r"^v1\.(\d+)\.(\d+)$")
_REPOSITORY = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*$")
_PREFLIGHT_ERROR = re.compile(r"^([A-Za-z0-9_.-]+|all)$")


@dataclass(frozen=True)
class ClusterSpec:
    """A validated request; `as_params()` is what a bootstrap job stores."""

    plan: preflight.Plan
    version: str = DEFAULT_VERSION
    advertise_address: str = ""  # blank: the control-plane host's address
    image_repository: str = UPSTREAM_IMAGE_REPOSITORY
    packages_mirror: str = ""  # blank: pkgs.k8s.io for the version's minor
    runtime_mirror: str = ""  # blank: the OS's own containerd package
    network_addon: str = "flannel"
    network_manifest_url: str = ""  # blank: the add-on's default, unless uploaded
    ignore_preflight_errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def package_version(self) -> str:
        """ "1.37.2": apt and dnf pins add their own revision glob."""
        return self.version.lstrip("v")

    def packages_url(self, family: str) -> str:
        if self.packages_mirror:
            return self.packages_mirror.rstrip("/") + "/"
        upstream = UPSTREAM_PACKAGES_RPM if family == "rhel" else UPSTREAM_PACKAGES_DEB
        return upstream.format(minor=self.minor)

    def as_params(self) -> dict:
        params = asdict(self)
        params["plan"] = self.plan.as_params()
        params["ignore_preflight_errors"] = list(self.ignore_preflight_errors)
        return params

    @classmethod
    def from_params(cls, params: dict) -> "ClusterSpec":
        values = dict(params)
        values["plan"] = preflight.Plan.from_params(values.get("plan", {}))
        values["ignore_preflight_errors"] = tuple(values.get("ignore_preflight_errors", ()))
        return cls(**values)


def spec_validate(
    *,
    control_plane,
    workers=(),
    pod_cidr="",
    service_cidr="",
    version="",
    advertise_address="",
    image_repository="",
    packages_mirror="",
    runtime_mirror="",
    network_addon="",
    network_manifest_url="",
    ignore_preflight_errors=(),
) -> ClusterSpec:
    """The spec, or PortalError with a message per field (the plan's own
    messages included), before anything runs."""
    errors: dict[str, list[str]] = {}
    try:
        plan = preflight.plan_validate(
            control_plane=control_plane, workers=workers, pod_cidr=pod_cidr, service_cidr=service_cidr
        )
    except PortalError as exc:
        errors.update(exc.field_errors or {})
        plan = None
    if len([n for n in control_plane or () if str(n).strip()]) > 1:
        errors.setdefault("control_plane", []).append(
            _("One control-plane host for now: a highly available control plane needs a load balancer in front.")
        )
    version = (version or DEFAULT_VERSION).strip()
    match = _VERSION.match(version)
    if not match:
        errors["version"] = [_("A Kubernetes version reads like %(example)s.") % {"example": DEFAULT_VERSION}]
    image_repository = (image_repository or UPSTREAM_IMAGE_REPOSITORY).strip().rstrip("/")
    if not _REPOSITORY.match(image_repository):
        errors["image_repository"] = [
            _("An image repository is a registry host with an optional path, e.g. %(example)s.")
            % {"example": "registry.aliyuncs.com/google_containers"}
        ]
    for name, value in (
        ("packages_mirror", packages_mirror),
        ("runtime_mirror", runtime_mirror),
        ("network_manifest_url", network_manifest_url),
    ):
        if value and not re.match(r"^https?://[^\s/]+(/\S*)?$", value.strip()):
            errors[name] = [_("Enter an http:// or https:// URL.")]
    network_addon = (network_addon or "flannel").strip()
    if network_addon not in NETWORK_ADDONS:
        errors["network_addon"] = [_("The pod network add-on is flannel or calico.")]
    ignored = tuple(dict.fromkeys(str(e).strip() for e in ignore_preflight_errors or () if str(e).strip()))
    bad = [e for e in ignored if not _PREFLIGHT_ERROR.match(e)]
    if bad:
        errors["ignore_preflight_errors"] = [
            _("Name kubeadm's preflight checks as it prints them, e.g. Swap or NumCPU: %(names)s.")
            % {"names": ", ".join(bad)}
        ]
    if advertise_address:
        try:
            address = ipaddress.ip_address(advertise_address.strip())
        except ValueError:
            errors["advertise_address"] = [_("The advertise address is an IP address.")]
        else:
            if address.is_loopback or address.is_unspecified:
                errors["advertise_address"] = [
                    _("kubeadm cannot advertise a loopback or unspecified address; give the host's own address.")
                ]
    if errors:
        raise PortalError(_("The cluster spec is not valid."), field_errors=errors)
    return ClusterSpec(
        plan=plan,
        version=version,
        advertise_address=(advertise_address or "").strip(),
        image_repository=image_repository,
        packages_mirror=(packages_mirror or "").strip(),
        runtime_mirror=(runtime_mirror or "").strip(),
        network_addon=network_addon,
        network_manifest_url=(network_manifest_url or "").strip(),
        ignore_preflight_errors=ignored,
    )
