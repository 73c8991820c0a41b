"""The per-device config: who uses this laptop and its device id. It stays on the laptop;
event settings travel inside the database instead."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import uuid
from pathlib import Path

from leadcap.errors import LeadcapError
from leadcap.store.private import make_private_dirs

HOME_ENV = "LEADCAP_HOME"
DEVICE_KEYS = ("staff", "device", "backups-keep")
# A staff member's own contact card for `leadcap qr card --mine`: `my-card.name`, ...
DEVICE_KEY_PREFIXES = ("my-card.",)


def config_path(app_dir: Path) -> Path:
    return app_dir / "config.json"


def os_user() -> str:
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "staff"


def load_device_config(app_dir: Path) -> dict:
    """Read the config, creating a device id the first time: the id names this laptop in
    every lead and change it makes, so it must stay the same from then on."""
    path = config_path(app_dir)
    config: dict = {}
    if path.exists():
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise LeadcapError(
                f"cannot read {path} ({error}). Fix or delete it; a new device id is then made"
            ) from None
    if not config.get("device"):
        edited_by_hand = bool(config)  # a file exists but has no id
        config["device"] = new_device_id()
        if edited_by_hand:
            save_device_config(app_dir, config)
        else:
            # Two leadcap processes starting at once on a new laptop must agree on one id.
            config = _create_once(app_dir, config)
    config.setdefault("staff", os.environ.get("LEADCAP_STAFF") or os_user())
    return config


def new_device_id() -> str:
    """A fresh device id: the host name and a random suffix."""
    host = socket.gethostname().split(".")[0] or "laptop"
    return f"{host}-{uuid.uuid4().hex[:6]}"


def _write_temporary(app_dir: Path, config: dict) -> Path:
    path = config_path(app_dir)
    make_private_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
    tmp.write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    return tmp


def _create_once(app_dir: Path, config: dict) -> dict:
    """Create the config file unless another process just did; then use theirs."""
    path = config_path(app_dir)
    try:
        tmp = _write_temporary(app_dir, config)
        try:
            os.link(tmp, path)  # atomic, and fails if the file exists
        except FileExistsError:
            config = json.loads(path.read_text(encoding="utf-8"))
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as error:
        raise LeadcapError(
            f"cannot write {path} ({error.strerror}). Set {HOME_ENV} to a writable folder"
        ) from None
    config.setdefault("staff", os.environ.get("LEADCAP_STAFF") or os_user())
    return config


def save_device_config(app_dir: Path, config: dict) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a config."""
    path = config_path(app_dir)
    try:
        os.replace(_write_temporary(app_dir, config), path)
    except OSError as error:
        raise LeadcapError(
            f"cannot write {path} ({error.strerror}). Set {HOME_ENV} to a writable folder"
        ) from None
