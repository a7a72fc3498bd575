"""`swiftpaste serve` prepares prometheus-client's multiprocess directory for its workers."""

import os
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from swiftpaste.main.multiprocess_metrics import (
    MULTIPROC_DIR_VARIABLE,
    prepare_metrics_directory,
    scrape_registry,
)


@pytest.fixture(autouse=True)
def _restore_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # prepare_metrics_directory exports the variable: setenv records the value to put back.
    monkeypatch.setenv(MULTIPROC_DIR_VARIABLE, "")
    monkeypatch.delenv(MULTIPROC_DIR_VARIABLE)


def test_one_worker_keeps_the_ordinary_registry() -> None:
    directory = prepare_metrics_directory("", workers=1)
    assert directory.path is None
    assert scrape_registry("") is REGISTRY


def test_several_workers_get_a_fresh_directory_removed_afterwards() -> None:
    directory = prepare_metrics_directory("", workers=3)
    assert directory.path is not None
    assert directory.owned
    assert directory.path.is_dir()
    assert list(directory.path.iterdir()) == []
    assert os.environ[MULTIPROC_DIR_VARIABLE] == str(directory.path)
    assert scrape_registry(str(directory.path)) is not REGISTRY
    directory.cleanup()
    assert not directory.path.exists()


def test_a_configured_directory_is_emptied_of_an_earlier_run_and_kept(tmp_path: Path) -> None:
    configured = tmp_path / "metrics"
    configured.mkdir()
    (configured / "counter_123.db").write_bytes(b"stale")
    (configured / "README").write_text("not ours")
    directory = prepare_metrics_directory(str(configured), workers=1)
    assert directory.path == configured
    assert not directory.owned
    assert sorted(p.name for p in configured.iterdir()) == ["README"]
    directory.cleanup()
    assert configured.is_dir()
