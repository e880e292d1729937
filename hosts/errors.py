"""What stops work on a host; every message is safe to show and to log."""

from portal.errors import PortalError


class SSHError(PortalError):
    """Work on a host stopped; the message is safe to show and to log."""


class SSHKeyError(SSHError):
    pass


class PassphraseError(SSHKeyError):
    """The key needs a passphrase, or another one."""


class HostKeyError(SSHError):
    pass


class UnknownHostKey(HostKeyError):
    pass


class HostKeyMismatch(HostKeyError):
    pass


class SSHConnectError(SSHError):
    pass


class SSHAuthError(SSHError):
    pass


class CommandTimeout(SSHError):
    pass


class CommandCanceled(SSHError):
    """The command was stopped on the host because its job was canceled."""
