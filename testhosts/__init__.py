"""Test hosts: real OpenSSH servers, each a separate machine in its own namespaces.

    from testhosts import TestHosts

    with TestHosts.start(3) as hosts:
        host = hosts[0]
        host.address, host.port, host.username, host.password  # 198.18.<run>.11, 22, "portal", ...
        host.private_key_pem, host.passphrase_key_pem, host.passphrase
        host.known_hosts_line, host.fingerprint  # pinned host key, "SHA256:..."
        host.run("cat /etc/hostname")  # operator's console, bypasses SSH
        host.standin_calls()  # [("modprobe", "br_netfilter"), ...]

See testhosts/README.md for how they are isolated.
"""

from .errors import TestHostsError
from .fleet import TestHosts, cleanup_stale, unavailable_reason
from .host import TestHost

__all__ = ["TestHost", "TestHosts", "TestHostsError", "cleanup_stale", "unavailable_reason"]
