"""/forgetme (issue 11): after one confirmation, no row of the person is left but the records
of withdrawn faces; their faces are withdrawn and deleted at the provider; their consent to
someone else's face is withdrawn and its owner told."""

from __future__ import annotations

from bot.config import Settings
from sandbox.token360 import Token360Simulator
from storage.database import Dialect, describe
from tests.e2e.helpers import (
    agreed,
    confirm_card,
    final_progress,
    group_of,
    opened_invite,
    video_message,
)
from tests.fakes.telegram_api import FakeTelegram, FakeUser
from tests.harness import RunningBot, query
from tests.images import image

# Columns that hold a person's or a private chat's Telegram id ("id" in users only).
PERSON_COLUMNS = {
    "id",
    "user_id",
    "owner_id",
    "created_by",
    "chat_id",
    "person_id",
    "claimed_by",
    "issued_to",
    "verifier_user_id",
    "tell_chat_id",
}


def rows_naming(database: str, person: int) -> dict[str, list[dict[str, object]]]:
    """Every row, in every table, with ``person``'s id in a person column or anywhere in
    its text."""
    found: dict[str, list[dict[str, object]]] = {}
    if describe(database) is Dialect.POSTGRESQL:
        listed = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    else:
        listed = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    for (table,) in query(database, listed):
        for row in query(database, f"SELECT * FROM {table}"):
            values = dict(zip(row.keys(), row, strict=True))
            if any(named(table, column, value, person) for column, value in values.items()):
                found.setdefault(table, []).append(values)
    return found


def named(table: str, column: str, value: object, person: int) -> bool:
    if isinstance(value, str):
        return str(person) in value
    id_column = column in PERSON_COLUMNS and (column != "id" or table == "users")
    return id_column and value == person


async def passed(
    tg: FakeTelegram, sim: Token360Simulator, owner: FakeUser, person: FakeUser, name: str
) -> None:
    """``owner`` makes face ``name`` of ``person``, who agrees and passes."""
    card, _, intro = await opened_invite(tg, owner, person, name)
    await agreed(tg, person, intro)
    mark = tg.mark()
    sim.pass_verification(group_of(sim, card))
    await tg.next_message(person.id, after=mark, contains="passed")


async def test_forgetme_leaves_only_the_records_of_withdrawn_faces(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice", user_id=770_001_001, username="alice")
    bob = tg.add_user("Bob", user_id=770_002_002)
    carol = tg.add_user("Carol", user_id=770_003_003)
    db = settings.database

    # Alice's face of Bob, with a photo and a video; and a face of Alice that Carol owns.
    await passed(tg, sim, alice, bob, "Bob's face")
    mark = tg.mark()
    await tg.send_photo(alice, image())
    await final_progress(tg, alice.id, mark)
    card = await confirm_card(tg, alice, "Bob waves")
    mark = tg.mark()
    await tg.press(alice, card, text="Generate")
    await video_message(tg, alice.id, mark)
    await passed(tg, sim, carol, alice, "Alice's face")
    faces = {r["name"]: r for r in query(db, "SELECT * FROM faces")}
    alices_group = faces["Bob's face"]["provider_group_id"]
    carols_group = faces["Alice's face"]["provider_group_id"]

    # Asked first: what goes, what stays; nothing is removed yet.
    mark = tg.mark()
    await tg.send_text(alice, "/forgetme")
    screen = await tg.next_message(alice.id, after=mark, contains="Forget me?")
    assert "your 1 face: withdrawn" in screen.text
    assert "your consent to 1 face made of you: withdrawn" in screen.text
    assert "1 video and 1 photo" in screen.text
    assert query(db, "SELECT id FROM users WHERE id = ?", (alice.id,))

    # Someone else pressing a forwarded copy forgets nobody.
    answer = await tg.wait_answer(await tg.press(bob, screen, text="Yes, forget me"))
    assert answer.get("show_alert") and "isn't for you" in answer["text"]
    assert query(db, "SELECT id FROM users WHERE id = ?", (alice.id,))

    told = tg.mark()
    await tg.press(alice, screen, text="Yes, forget me")
    await tg.wait_for(lambda: "I've forgotten you" in screen.text, what="the goodbye")
    assert "1 video erased" in screen.text
    assert "The photos were deleted at Token360." in screen.text
    await tg.next_message(carol.id, after=told, contains="Alice withdrew their consent")

    # Both faces withdrawn and deleted at the provider; the records kept.
    statuses = {r["name"]: r["status"] for r in query(db, "SELECT name, status FROM faces")}
    assert statuses == {"Bob's face": "withdrawn", "Alice's face": "withdrawn"}
    assert sim.count("DELETE", f"/v1/asset-groups/{alices_group}") == 1
    assert sim.count("DELETE", f"/v1/asset-groups/{carols_group}") == 1
    consents = query(db, "SELECT person_id, withdrawn_at FROM consents ORDER BY id")
    assert [c["person_id"] for c in consents] == [bob.id, alice.id]
    assert consents[1]["withdrawn_at"] is not None  # Alice's own, withdrawn
    assert consents[0]["withdrawn_at"] is None  # Bob's record of his consent stands

    # No row names Alice but those records.
    left = rows_naming(db, alice.id)
    withdrawn = {r["id"] for r in query(db, "SELECT id FROM faces WHERE status = 'withdrawn'")}
    assert set(left) <= {"faces", "consents", "invites", "status_history"}, left
    assert all(r["id"] in withdrawn for r in left.get("faces", []))
    assert all(r["face_id"] in withdrawn for r in left.get("consents", []))
    assert all(r["face_id"] in withdrawn for r in left.get("invites", []))
    assert all(
        r["kind"] == "face" and r["ref_id"] in withdrawn for r in left.get("status_history", [])
    )
    assert query(db, "SELECT COUNT(*) AS n FROM videos")[0]["n"] == 0
    assert query(db, "SELECT COUNT(*) AS n FROM assets")[0]["n"] == 0

    # Writing again starts afresh: no faces of hers any more.
    mark = tg.mark()
    await tg.send_text(alice, "/start")
    await tg.next_message(alice.id, after=mark, contains="Alice")
    assert query(db, "SELECT id FROM users WHERE id = ?", (alice.id,))
    mark = tg.mark()
    await tg.send_text(alice, "/faces")
    await tg.next_message(alice.id, after=mark, contains="You have no faces yet")

    # Bob keeps his record: the face is withdrawn, with nothing left for him to withdraw.
    mark = tg.mark()
    await tg.send_text(bob, "/myfaces")
    mine = await tg.next_message(bob.id, after=mark, contains="Faces made of you")
    assert "Bob's face" in mine.text and "consent withdrawn" in mine.text
    assert not mine.buttons()
