"""The pseudonymisation key: WELLBEING_PSEUDONYM_KEY, else the key file in the home folder."""
from __future__ import annotations

import os
import secrets

from .settings import Home

KEY_ENV = "WELLBEING_PSEUDONYM_KEY"


def load_key(home: Home) -> bytes | None:
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    if home.key_file.exists():
        return home.key_file.read_bytes().strip()
    return None


def create_key(home: Home) -> bytes:
    """A fresh random key in the home folder (for the demo); never overwrites an existing one."""
    if home.key_file.exists():
        return home.key_file.read_bytes().strip()
    home.key_file.parent.mkdir(parents=True, exist_ok=True)
    home.key_file.write_text(secrets.token_hex(32) + "\n")
    home.key_file.chmod(0o600)
    return home.key_file.read_bytes().strip()
