"""The repositories' SQL rewritten for PostgreSQL's ``$N`` parameters (issue 14)."""

from __future__ import annotations

import pytest

from storage.chats import _move
from storage.forget import _THEIR_VIDEOS
from storage.placeholders import dollar


def test_plain_parameters_are_numbered_in_order() -> None:
    d = dollar("UPDATE t SET a = ?, b = ? WHERE id = ? AND note = 'why?'")
    assert d.sql == "UPDATE t SET a = $1, b = $2 WHERE id = $3 AND note = 'why?'"
    assert d.values(("A", "B", 7)) == ["A", "B", 7]


def test_numbered_parameters_used_twice_are_one() -> None:
    d = dollar(_move("chat_allowed", "user_id"))
    assert "?" not in d.sql and d.sql.count("$1") == 2 and d.sql.count("$2") == 1
    assert d.values((-100200, -100)) == [-100200, -100]


def test_named_parameters_and_casts() -> None:
    d = dollar(f"DELETE FROM videos WHERE id IN ({_THEIR_VIDEOS}) AND x::text = ':not'")
    assert ":u" not in d.sql and "$1" in d.sql and "$2" not in d.sql
    assert "x::text = ':not'" in d.sql
    assert d.values({"u": 42}) == [42]


def test_quoted_identifiers_are_left_alone() -> None:
    assert dollar('SELECT "a?b", :n').sql == 'SELECT "a?b", $1'


def test_styles_are_not_mixed() -> None:
    with pytest.raises(ValueError):
        dollar("SELECT ?, :name")


def test_every_literal_statement_of_the_repositories_converts() -> None:
    """No statement mixes styles, and none keeps a sqlite3 parameter once converted."""
    import ast
    from pathlib import Path

    import storage

    statements = []
    for path in Path(storage.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if any(word in text for word in ("SELECT ", "INSERT ", "UPDATE ", "DELETE ")):
                    statements.append(text)
    assert len(statements) > 100
    for sql in statements:
        converted = dollar(sql).sql
        assert "?" not in converted.replace("'?'", ""), sql
