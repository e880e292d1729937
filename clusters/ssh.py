"""The one module that talks SSH (paramiko).

For now: reading private keys admins upload. Connections, host-key pinning and
command execution live here too as the host features grow.
"""

import base64
import hashlib
import io

import paramiko
from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext as _

from portal.errors import PortalError

MAX_KEY_BYTES = 16 * 1024
_KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


class SSHKeyError(PortalError):
    pass


def fingerprint_sha256(key_blob: bytes) -> str:
    """OpenSSH-style 'SHA256:...' fingerprint of a public key blob."""
    digest = hashlib.sha256(key_blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load_private_key(text: str, passphrase: str | None = None) -> paramiko.PKey:
    if not text or not text.strip():
        raise SSHKeyError(_("The private key is empty."))
    if len(text.encode()) > MAX_KEY_BYTES:
        raise SSHKeyError(_("The private key is larger than 16 KiB."))
    if "PRIVATE KEY" not in text:
        raise SSHKeyError(_("This is not a private key in OpenSSH or PEM format."))
    if "-----BEGIN PRIVATE KEY-----" in text or "-----BEGIN ENCRYPTED PRIVATE KEY-----" in text:
        text, passphrase = _pkcs8_as_openssh(text, passphrase), None
    last_error = None
    for key_class in _KEY_CLASSES:
        try:
            return key_class.from_private_key(io.StringIO(text.strip() + "\n"), password=passphrase or None)
        except paramiko.PasswordRequiredException:
            raise SSHKeyError(_("This private key is encrypted: give its passphrase.")) from None
        except paramiko.SSHException as exc:
            last_error = exc
            if "checkints" in str(exc).lower() or "bad passphrase" in str(exc).lower():
                raise SSHKeyError(_("The passphrase does not decrypt this private key.")) from None
        except (ValueError, TypeError, IndexError) as exc:
            last_error = exc
    message = str(last_error).lower() if last_error else ""
    if passphrase and ("password" in message or "decrypt" in message or "passphrase" in message):
        raise SSHKeyError(_("The passphrase does not decrypt this private key."))
    raise SSHKeyError(_("The private key could not be read (supported: Ed25519, ECDSA, RSA)."))


def _pkcs8_as_openssh(text: str, passphrase: str | None) -> str:
    """paramiko reads OpenSSH and traditional PEM keys only; PKCS#8 keys
    (`ssh-keygen -m PKCS8`, many cloud consoles) are converted in memory."""
    try:
        key = serialization.load_pem_private_key(text.strip().encode(), password=(passphrase or "").encode() or None)
    except TypeError:
        if passphrase:  # cryptography: "Password was given but private key is not encrypted."
            return _pkcs8_as_openssh(text, None)
        raise SSHKeyError(_("This private key is encrypted: give its passphrase.")) from None
    except ValueError:
        if passphrase and "ENCRYPTED PRIVATE KEY" in text:
            raise SSHKeyError(_("The passphrase does not decrypt this private key.")) from None
        raise SSHKeyError(_("The private key could not be read (supported: Ed25519, ECDSA, RSA).")) from None
    except Exception:  # unsupported algorithms and malformed DER raise assorted errors
        raise SSHKeyError(_("The private key could not be read (supported: Ed25519, ECDSA, RSA).")) from None
    try:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode()
    except (ValueError, TypeError):
        raise SSHKeyError(_("The private key could not be read (supported: Ed25519, ECDSA, RSA).")) from None


def private_key_fingerprint(text: str, passphrase: str | None = None) -> str:
    key = load_private_key(text, passphrase)
    return fingerprint_sha256(key.asbytes())
