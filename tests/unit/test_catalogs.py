"""The translation catalogs (issue 12): the template holds every message the code uses; each
language translates all of them, with the same placeholders and HTML tags, in every plural
form; and the compiled catalogs the bot reads are those of the .po files."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.telegram import i18n

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "bot" / "locale"
LANGUAGES = sorted(p.name for p in LOCALE.iterdir() if (p / "LC_MESSAGES").is_dir())
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?[a-z]+[^>]*>")

Message = str | tuple[str, str]


def in_code() -> set[Message]:
    found = extract_from_dir(
        ROOT / "bot" / "telegram",
        method_map=[("**.py", "python")],
        keywords={"_": None, "n_": (1, 2)},
    )
    return {
        message if isinstance(message, str) else (message[0], message[1])
        for _, _, message, _, _ in found
    }


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def ids(catalog: Catalog) -> set[Message]:
    return {m.id if isinstance(m.id, str) else (m.id[0], m.id[1]) for m in catalog if m.id}


def test_the_template_holds_every_message_of_the_code() -> None:
    template = ids(read(LOCALE / "messages.pot"))
    code = in_code()
    assert code - template == set(), "run pybabel extract (README, Languages)"
    assert template - code == set(), "messages no longer in the code: extract again"


def test_there_are_catalogs_and_the_bot_offers_each() -> None:
    assert {"zh", "ru", "es"} <= set(LANGUAGES)
    assert i18n.languages() == (i18n.SOURCE, *LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_catalog_translates_every_message_alike(language: str) -> None:
    catalog = read(LOCALE / language / "LC_MESSAGES" / "messages.po", language)
    by_id = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    problems = []
    for wanted in in_code():
        source = [wanted] if isinstance(wanted, str) else list(wanted)
        message = by_id.get(source[0])
        if message is None or message.fuzzy:
            problems.append(f"missing or fuzzy: {source[0]!r}")
            continue
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if len(forms) != catalog.num_plurals and not isinstance(wanted, str):
            problems.append(f"{len(forms)} plural forms, not {catalog.num_plurals}: {source[0]!r}")
        for form in forms:
            if not form:
                problems.append(f"untranslated: {source[0]!r}")
                continue
            names = {name for s in source for name in PLACEHOLDER.findall(s)}
            if set(PLACEHOLDER.findall(form)) - names or (
                isinstance(wanted, str) and set(PLACEHOLDER.findall(form)) != names
            ):
                problems.append(f"placeholders differ: {source[0]!r} -> {form!r}")
            if sorted(TAG.findall(form)) != sorted(TAG.findall(source[0])):
                problems.append(f"HTML tags differ: {source[0]!r} -> {form!r}")
    assert problems == [], "\n".join(problems[:20])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_po_file(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    compiled = io.BytesIO()
    write_mo(compiled, read(folder / "messages.po", language))
    assert (folder / "messages.mo").read_bytes() == compiled.getvalue(), "pybabel compile"


def test_the_page_after_the_face_check_is_in_the_browsers_language() -> None:
    from bot.telegram.web_app import return_page

    russian = return_page("ru-RU,ru;q=0.9,en;q=0.8")
    assert 'lang="ru"' in russian and "Спасибо" in russian
    assert "Thank you" in return_page("pt-BR,pt;q=0.9") and "Thank you" in return_page("")
    assert i18n.best("zh-Hans-CN") == "zh" and i18n.best("es-419,es;q=0.9") == "es"
