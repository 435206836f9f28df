"""The adapter store's seeding of the packaged default adapter, across checkouts."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hybridtools.adapter_store import AdapterStore

COMMAND = "python -m trainer_svc.default_adapter"


def packaged_build(folder: Path, dataset_hash: str, created: str) -> Path:
    """A packaged adapter folder as `trainer_svc.default_adapter` writes it."""
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    manifest = {
        "name": "tool-awareness",
        "command": COMMAND,
        "dataset_hash": dataset_hash,
        "created_time": created,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def serving_label(store: AdapterStore) -> str:
    serving = store.serving()
    return serving.label if serving else ""


def test_an_empty_store_serves_the_packaged_build_once(tmp_path: Path) -> None:
    store = AdapterStore(tmp_path / "adapters")
    build = packaged_build(tmp_path / "old", "a" * 64, "2026-11-26T02:36:04+00:00")
    assert store.seed_packaged_default(build) is not None
    assert serving_label(store) == "tool-awareness@v1"
    assert store.seed_packaged_default(build) is None  # the next start: nothing to add
    assert [v.version for v in store.versions("tool-awareness")] == [1]


def test_a_new_packaged_build_becomes_the_next_served_version(tmp_path: Path) -> None:
    store = AdapterStore(tmp_path / "adapters")
    store.seed_packaged_default(packaged_build(tmp_path / "old", "a" * 64, "2026-11-26"))
    newer = packaged_build(tmp_path / "new", "b" * 64, "2026-11-27")
    added = store.seed_packaged_default(newer)
    assert added is not None and added.label == "tool-awareness@v2" and added.published
    assert serving_label(store) == "tool-awareness@v2"
    assert store.get("tool-awareness", 1).manifest["dataset_hash"] == "a" * 64  # kept: rollback
    assert store.seed_packaged_default(newer) is None


def test_a_published_retrain_stays_served_over_a_new_packaged_build(tmp_path: Path) -> None:
    store = AdapterStore(tmp_path / "adapters")
    store.seed_packaged_default(packaged_build(tmp_path / "old", "a" * 64, "2026-11-26"))
    staging = store.staging_dir("tool-awareness")
    (staging / "adapter_config.json").write_text("{}")
    retrained = store.commit("tool-awareness", staging, {"job": "evening loop"})
    store.publish("tool-awareness", retrained.version)
    assert store.seed_packaged_default(packaged_build(tmp_path / "new", "b" * 64, "x")) is None
    assert serving_label(store) == "tool-awareness@v2"
    assert len(store.versions("tool-awareness")) == 2


def test_a_store_serving_another_adapter_gets_the_build_unpublished(tmp_path: Path) -> None:
    store = AdapterStore(tmp_path / "adapters")
    staging = store.staging_dir("cursor-tools")
    (staging / "adapter_config.json").write_text("{}")
    store.publish("cursor-tools", store.commit("cursor-tools", staging, {}).version)
    added = store.seed_packaged_default(packaged_build(tmp_path / "old", "a" * 64, "2026-11-26"))
    assert added is not None and not added.published
    assert serving_label(store) == "cursor-tools@v1"


def test_replicas_starting_together_seed_one_version(tmp_path: Path) -> None:
    store_root = tmp_path / "adapters"
    build = packaged_build(tmp_path / "new", "b" * 64, "2026-11-27")
    start = threading.Barrier(4)

    def start_replica(_: int) -> bool:
        store = AdapterStore(store_root)  # each replica its own store object, one volume
        start.wait()
        return store.seed_packaged_default(build) is not None

    with ThreadPoolExecutor(4) as pool:
        seeded = list(pool.map(start_replica, range(4)))
    assert seeded.count(True) == 1
    assert [v.version for v in AdapterStore(store_root).versions("tool-awareness")] == [1]
