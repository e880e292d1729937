"""Hosts reached over SSH and the credentials to reach them."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hosts import ssh
from hosts.choices import CredentialKind
from hosts.models import Host, SSHCredential
from portal.crypto import reveal
from portal.errors import PortalError
from portal.stored_text import Message


def _check_credential(credential: SSHCredential) -> None:
    if credential.kind == CredentialKind.PRIVATE_KEY:
        key = reveal(credential.private_key)
        if not key:
            raise PortalError(
                "A private key is required.", field_errors={"private_key": ["A private key is required."]}
            )
        try:
            credential.public_key_fingerprint = ssh.private_key_fingerprint(key, reveal(credential.passphrase))
        except ssh.SSHKeyError as exc:
            field = "passphrase" if isinstance(exc, ssh.PassphraseError) else "private_key"  # in any language
            raise PortalError(exc.message, field_errors={field: [exc.message]}) from None
        # A key credential keeps a password only as the one sudo asks for.
    elif credential.kind == CredentialKind.PASSWORD:
        if not reveal(credential.password):
            raise PortalError("A password is required.", field_errors={"password": ["A password is required."]})
        credential.private_key = ""
        credential.passphrase = ""
        credential.public_key_fingerprint = ""


@transaction.atomic
def ssh_credential_create(
    *, name: str, kind: str, private_key: str = "", passphrase: str = "", password: str = ""
) -> SSHCredential:
    credential = SSHCredential(name=name, kind=kind, private_key=private_key, passphrase=passphrase, password=password)
    _check_credential(credential)
    credential.full_clean()
    credential.save()
    return credential


@transaction.atomic
def ssh_credential_update(*, credential: SSHCredential, **changes) -> SSHCredential:
    """Secrets left out (or blank) are kept; given ones replace the stored ones."""
    for field, value in changes.items():
        if field in ("private_key", "passphrase", "password") and not value:
            continue
        setattr(credential, field, value)
    _check_credential(credential)
    credential.full_clean()
    credential.save()
    return credential


@transaction.atomic
def host_create(**fields) -> Host:
    host = Host(**fields)
    host.full_clean()
    host.save()
    return host


@transaction.atomic
def host_update(*, host: Host, **changes) -> Host:
    address_changed = any(k in changes and changes[k] != getattr(host, k) for k in ("address", "port"))
    for field, value in changes.items():
        setattr(host, field, value)
    if address_changed:
        # Another endpoint is another machine: its key must be pinned again.
        host.host_key = ""
        host.host_key_fingerprint = ""
    host.full_clean()
    host.save()
    return host


def host_key_fetch(*, host: Host) -> ssh.HostKey:
    """The key the host offers now, for an admin to confirm; nothing is pinned."""
    return ssh.fetch_host_key(host.address, host.port)


@transaction.atomic
def host_key_pin(*, host: Host, known_hosts_line: str = "", confirmed_fingerprint: str = "") -> Host:
    """Pin the host key from a pasted known_hosts line for this host, or from
    the key the host offers, only if it is the one whose fingerprint the admin
    confirmed. Nothing is accepted without one of the two."""
    if known_hosts_line.strip():
        try:
            key = ssh.parse_known_hosts_line(known_hosts_line, address=host.address, port=host.port)
        except ssh.HostKeyError as exc:
            raise PortalError(exc.message, field_errors={"known_hosts_line": [exc.message]}) from None
    elif confirmed_fingerprint.strip():
        offered = ssh.fetch_host_key(host.address, host.port)
        if offered.fingerprint != confirmed_fingerprint.strip():
            message = _("The host now offers the key %(offered)s, not the one confirmed; nothing was pinned.") % {
                "offered": offered.fingerprint
            }
            raise PortalError(message, field_errors={"fingerprint": [message]})
        key = offered
    else:
        message = _("Confirm the fingerprint the host offers, or paste a known_hosts line.")
        raise PortalError(message, field_errors={"known_hosts_line": [message]})
    host.host_key = key.line
    host.host_key_fingerprint = key.fingerprint
    host.full_clean()
    host.save(update_fields=["host_key", "host_key_fingerprint", "updated"])
    return host


def facts_gather(*, hosts, user=None):
    """Start a job that reads the facts of `hosts` (Host records or names), in parallel."""
    from jobs.services import job_create

    names = [host.name if isinstance(host, Host) else str(host) for host in hosts]
    names = list(dict.fromkeys(names))  # once each, in the given order
    if not names:
        message = _("Pick at least one host.")
        raise PortalError(message, field_errors={"hosts": [message]})
    records = {host.name: host for host in Host.objects.filter(name__in=names)}
    unknown = [name for name in names if name not in records]
    unpinned = [name for name in names if name in records and not records[name].host_key]
    errors = []
    if unknown:
        errors.append(_("No such host: %(names)s.") % {"names": ", ".join(unknown)})
    if unpinned:
        errors.append(
            _("No host key is pinned for %(names)s: confirm its fingerprint first.") % {"names": ", ".join(unpinned)}
        )
    if errors:
        raise PortalError(" ".join(errors), field_errors={"hosts": errors})
    return job_create(
        kind="hosts.facts",
        title=Message(gettext_noop("Gather facts of %(hosts)s"), hosts=", ".join(names)),
        params={"hosts": names},
        host=records[names[0]] if len(names) == 1 else None,
        created_by=user,
    )
