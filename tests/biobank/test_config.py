from __future__ import annotations

import gc
from pathlib import Path

import pytest

from biobank import create_app


def test_layers_defaults_instance_file_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "SECRET_KEY = 'from-file'\nIDLE_TIMEOUT_SECONDS = 60\nMAX_FAILED_LOGINS = 7\n"
    )
    monkeypatch.setenv("BIOBANK_MAX_FAILED_LOGINS", "3")
    monkeypatch.setenv("BIOBANK_SESSION_COOKIE_SECURE", "0")
    monkeypatch.setenv("BIOBANK_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"  # file over default
    assert app.config["IDLE_TIMEOUT_SECONDS"] == 60
    assert app.config["MAX_FAILED_LOGINS"] == 3  # environment over file, typed
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["MAX_CONTENT_LENGTH"] > 0  # never Flask's unlimited default


def test_secure_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIOBANK_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] in {"Lax", "Strict"}


def test_bad_environment_value_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIOBANK_SESSION_COOKIE_SECURE", "maybe")
    with pytest.raises(ValueError, match="boolean"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})


def test_a_served_app_keeps_start_up_objects_out_of_full_collections() -> None:
    """Full cyclic collections over the start-up heap were the 60-80 ms p99 of the box map;
    a served app freezes that heap, a test app (hundreds per process) does not."""
    gc.unfreeze()
    try:
        create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
        assert gc.get_freeze_count() > 1000
        gc.unfreeze()
        create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "TESTING": True})
        assert gc.get_freeze_count() == 0
        create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x",
                    "GC_FREEZE_AT_START": False})
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
