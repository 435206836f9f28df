"""Versioned LoRA adapters by stable name, on disk (a shared volume in k8s).

    <root>/<name>/v<N>/          adapter_model.safetensors, adapter_config.json,
                                 manifest.json (base model, dataset mix and hash,
                                 config, final loss, held-out accuracy, time)
    <root>/<name>/published.json the version of <name> that is published
    <root>/serving.json          the adapter the inference service serves by default

The trainer writes a version into a staging folder and commits it with one
rename, so a reader never sees half an adapter; pointers are JSON files
replaced atomically. The inference service only reads.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hybridtools.common.v1 import tools_pb2
from hybridtools.core.errors import InvalidArgumentError
from hybridtools.core.files import exclusive_lock, write_json_atomic
from hybridtools.core.timestamps import timestamp_from_iso

BASE_ADAPTER = "base"  # the name that means "no adapter"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_VERSION_DIR = re.compile(r"^v(\d+)$")
PACKAGED_DEFAULT = Path(__file__).parent / "default_adapter"


def validate_adapter_name(name: str) -> str:
    """The name, or INVALID_ARGUMENT: a name is a folder of the store, and one like
    "../adapters/x" would reach another folder through the path."""
    if name == BASE_ADAPTER or not _NAME.match(name or ""):
        raise InvalidArgumentError(
            f"adapter name {name!r} is invalid: lowercase letters, digits, '.', '_' and '-', "
            f"at most 64 characters, and not {BASE_ADAPTER!r}"
        )
    return name


@dataclass(frozen=True)
class AdapterVersion:
    name: str
    version: int
    path: Path
    manifest: dict[str, Any]
    published: bool

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}"

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def to_proto(self, loaded: bool = False) -> tools_pb2.AdapterInfo:
        info = tools_pb2.AdapterInfo(
            name=self.name,
            version=self.version,
            base_model=self.manifest.get("base_model", ""),
            final_loss=float(self.manifest.get("final_loss") or 0.0),
            held_out_accuracy=float(self.manifest.get("held_out_accuracy") or 0.0),
            dataset_hash=self.manifest.get("dataset_hash", ""),
            size_bytes=self.size_bytes,
            published=self.published,
            loaded=loaded,
        )
        created = self.manifest.get("created_time")
        if created:
            info.create_time.CopyFrom(timestamp_from_iso(created))
        return info


class AdapterStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def names(self) -> list[str]:
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and _NAME.match(p.name) and self._version_numbers(p.name)
        )

    def _version_numbers(self, name: str) -> list[int]:
        folder = self.root / validate_adapter_name(name)
        if not folder.is_dir():
            return []
        numbers = []
        for child in folder.iterdir():
            found = _VERSION_DIR.match(child.name)
            if found and (child / "manifest.json").exists():
                numbers.append(int(found.group(1)))
        return sorted(numbers)

    def _published_number(self, name: str) -> int | None:
        pointer = self.root / validate_adapter_name(name) / "published.json"
        if not pointer.exists():
            return None
        return int(json.loads(pointer.read_text())["version"])

    def versions(self, name: str) -> list[AdapterVersion]:
        published = self._published_number(name)
        return [self._load(name, n, published) for n in self._version_numbers(name)]

    def all_versions(self) -> list[AdapterVersion]:
        return [v for name in self.names() for v in self.versions(name)]

    def _load(self, name: str, number: int, published: int | None) -> AdapterVersion:
        path = self.root / name / f"v{number}"
        manifest = json.loads((path / "manifest.json").read_text())
        return AdapterVersion(name, number, path, manifest, published == number)

    def get(self, name: str, version: int = 0) -> AdapterVersion:
        """A version; 0 means the published one, else the newest. KeyError if none."""
        numbers = self._version_numbers(name)
        if not numbers:
            raise KeyError(f"no adapter named {name!r} (have: {', '.join(self.names()) or 'none'})")
        published = self._published_number(name)
        if version == 0:
            version = published if published in numbers else numbers[-1]
        if version not in numbers:
            raise KeyError(f"adapter {name!r} has no version {version} (has: {numbers})")
        return self._load(name, version, published)

    def staging_dir(self, name: str) -> Path:
        """A fresh folder to write a new version into before `commit`."""
        validate_adapter_name(name)
        (self.root / name).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=self.root / name, prefix=".staging-"))

    def commit(self, name: str, staging: Path, manifest: dict[str, Any]) -> AdapterVersion:
        """Turns a staging folder into the next version, in one rename."""
        validate_adapter_name(name)
        if not (staging / "adapter_config.json").exists():
            raise ValueError(f"{staging} holds no adapter (adapter_config.json missing)")
        while True:
            number = (self._version_numbers(name) or [0])[-1] + 1
            full_manifest = {
                **manifest,
                "name": name,
                "version": number,
                "created_time": manifest.get("created_time") or datetime.now(UTC).isoformat(),
            }
            write_json_atomic(staging / "manifest.json", full_manifest)
            target = self.root / name / f"v{number}"
            try:
                staging.rename(target)  # fails if another writer took the number first
            except OSError:
                continue
            return self._load(name, number, self._published_number(name))

    def publish(self, name: str, version: int = 0) -> AdapterVersion:
        """Marks a version published and makes it the serving adapter."""
        if version == 0:
            numbers = self._version_numbers(name)
            if not numbers:
                raise KeyError(f"no adapter named {name!r}")
            version = numbers[-1]
        self.get(name, version)  # KeyError for a version that does not exist
        write_json_atomic(
            self.root / name / "published.json",
            {"version": version, "time": datetime.now(UTC).isoformat()},
        )
        write_json_atomic(self.root / "serving.json", {"name": name, "version": version})
        return self.get(name, version)

    def serving(self) -> AdapterVersion | None:
        pointer = self.root / "serving.json"
        if not pointer.exists():
            return None
        value = json.loads(pointer.read_text())
        try:
            return self.get(value["name"], int(value["version"]))
        except (KeyError, InvalidArgumentError):
            return None

    def seed_packaged_default(self, packaged: Path = PACKAGED_DEFAULT) -> AdapterVersion | None:
        """Copies the adapter shipped with the code into the store, once per packaged build.

        A fresh checkout serves the default tool-awareness adapter at once
        (it is committed with its manifest; `make adapter` retrains it). A
        store that holds only older builds of it (a checkout updated after a
        retrain) gets the new build as its next version, served if the store
        was serving an earlier build, so an adapter someone published stays
        served; older versions stay for a rollback. None if nothing was added.
        """
        manifest_path = packaged / "manifest.json"
        if not manifest_path.exists():
            return None
        manifest = json.loads(manifest_path.read_text())
        # Inference replicas start together on one shared store: one seeds,
        # the others then find the build there.
        with exclusive_lock(self.root / ".seed.lock"):
            return self._seed(packaged, manifest)

    def _seed(self, packaged: Path, manifest: dict[str, Any]) -> AdapterVersion | None:
        name = manifest["name"]
        held = self.versions(name)
        if any(_same_build(version.manifest, manifest) for version in held):
            return None
        serving = self.serving()
        upgrades_serving = (
            serving is not None
            and serving.name == name
            and _from_package(serving.manifest, manifest)
        )
        if held and not upgrades_serving:
            # The store serves something else (a published retrain, the base
            # model): leave it as its operator set it.
            return None
        staging = self.staging_dir(name)
        for item in packaged.iterdir():
            if item.is_file():
                shutil.copy2(item, staging / item.name)
        committed = self.commit(name, staging, manifest)
        if serving is None or upgrades_serving:
            return self.publish(name, committed.version)
        return committed


def _same_build(held: dict[str, Any], packaged: dict[str, Any]) -> bool:
    keys = ("dataset_hash", "created_time")
    return all(held.get(key) == packaged.get(key) for key in keys)


def _from_package(held: dict[str, Any], packaged: dict[str, Any]) -> bool:
    """A version seeded from an earlier packaged build (made by the same command)."""
    return bool(packaged.get("command")) and held.get("command") == packaged.get("command")
