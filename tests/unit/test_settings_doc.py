"""The README's settings table is generated from the Settings class and must match it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import settings_doc
from engine.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_description() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []


def test_readme_settings_table_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    assert settings_doc.with_table(text) == text, (
        f"README.md's settings table differs from engine/settings.py: run "
        f"`{settings_doc.REGENERATE}` and commit README.md"
    )


def test_table_names_every_variable_once_with_its_default() -> None:
    table = settings_doc.markdown_table()
    for name in Settings.model_fields:
        assert table.count(f"| `PERFLEDGER_{name.upper()}` |") == 1
    assert "| `PERFLEDGER_PORT` | `8000` |" in table
    assert "| `PERFLEDGER_DATA_DIR` | `./data` |" in table
    assert "| `PERFLEDGER_TELEPHONY_EARLIEST` | `2000-01-01T00:00:00Z` |" in table
    assert "| `PERFLEDGER_KAFKA_TOPIC_PREFIX` | empty |" in table
    assert "| `PERFLEDGER_SECRET` | unset |" in table


def test_a_stale_table_is_replaced_between_its_markers() -> None:
    stale = f"intro\n{settings_doc.START}\n| old |\n{settings_doc.END}\noutro\n"
    fresh = settings_doc.with_table(stale)
    assert fresh.startswith("intro\n") and fresh.endswith(f"{settings_doc.END}\noutro\n")
    assert "| old |" not in fresh and "`PERFLEDGER_PORT`" in fresh


def test_a_readme_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        settings_doc.with_table("no table here")
