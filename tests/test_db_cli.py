"""``credit-gateway db upgrade`` in the wrong folder: the default SQLite URL is relative, so a missing
file there is refused rather than silently made into a new, empty store."""

from __future__ import annotations

from pathlib import Path

from tests.cli import run_cli


def test_upgrade_refuses_to_start_an_empty_default_database(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", keyring=tmp_path / "keyring.json", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DATABASE_NOT_FOUND" in result.stderr
    assert "--create" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()


def test_upgrade_create_makes_the_default_database_and_says_where(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", "--create", keyring=tmp_path / "keyring.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    created = tmp_path.resolve() / "var" / "credit.db"
    assert created.exists()
    assert f"created a new SQLite database at {created}" in " ".join(result.stderr.split())
    again = run_cli("db", "upgrade", keyring=tmp_path / "keyring.json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "created" not in again.stderr and "schema at head" in again.stderr


def test_upgrade_of_a_url_set_on_purpose_creates_it_and_names_the_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/store/credit.db"
    result = run_cli("db", "upgrade", keyring=tmp_path / "keyring.json", cwd=tmp_path, database_url=url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "store" / "credit.db").exists()
    assert "created a new SQLite database at" in result.stderr


def test_serve_refuses_an_absent_default_database_too(tmp_path: Path) -> None:
    result = run_cli("serve", "--port", "1", keyring=tmp_path / "keyring.json", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DATABASE_NOT_FOUND" in result.stderr
    assert not (tmp_path / "var").exists()
