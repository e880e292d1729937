"""Private keys in formats paramiko cannot read, made readable (no
paramiko here: hosts/ssh.py is the one module that imports it)."""

from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext as _

from hosts.errors import PassphraseError, SSHKeyError


def pkcs8_as_openssh(text: str, passphrase: str | None) -> str:
    """paramiko reads OpenSSH and traditional PEM keys only; PKCS#8 keys
    (`ssh-keygen -m PKCS8`, many cloud consoles) are converted in memory."""
    unreadable = _("The private key could not be read (supported: Ed25519, ECDSA, RSA).")
    try:
        key = serialization.load_pem_private_key(text.strip().encode(), password=(passphrase or "").encode() or None)
    except TypeError:
        if passphrase:  # cryptography: "Password was given but private key is not encrypted."
            return pkcs8_as_openssh(text, None)
        raise PassphraseError(_("This private key is encrypted: give its passphrase.")) from None
    except ValueError:
        if passphrase and "ENCRYPTED PRIVATE KEY" in text:
            raise PassphraseError(_("The passphrase does not decrypt this private key.")) from None
        raise SSHKeyError(unreadable) from None
    except Exception:  # unsupported algorithms and malformed DER raise assorted errors
        raise SSHKeyError(unreadable) from None
    try:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode()
    except (ValueError, TypeError):
        raise SSHKeyError(unreadable) from None
