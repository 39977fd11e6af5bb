"""Photos into a verified face: checked first, uploaded as bytes, tracked to the end."""

from __future__ import annotations

import io
import re

from PIL import Image

from bot.config import Settings
from sandbox.token360 import AssetOutcome, Fault, Token360Simulator
from tests.e2e.helpers import final_progress, handled, new_face, verified_face
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot, query
from tests.images import heic, image

TA = re.compile(r"ta_[0-9a-f]{32}")


async def test_photo_becomes_an_active_asset(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    mark = tg.mark()
    await tg.send_photo(alice, image(900, 1200))
    progress = await final_progress(tg, alice.id, mark)
    (asset_id,) = TA.findall(progress.text)
    assert "Active" in progress.text
    assert progress.edits >= 1  # one message, edited as the status moved
    assert len([m for m in tg.sent[mark:] if m.chat_id == alice.id and "📤" in m.text]) == 1
    stored = sim.assets[asset_id]
    assert (stored.width, stored.height) == (900, 1200)  # the full photo, as bytes
    rows = query(settings.database, "SELECT status, provider_asset_id FROM assets")
    assert [(r["status"], r["provider_asset_id"]) for r in rows] == [("active", asset_id)]
    history = query(
        settings.database, "SELECT status FROM status_history WHERE kind='asset' ORDER BY id"
    )
    assert [r["status"] for r in history] == ["received", "uploading", "processing", "active"]


async def test_documents_keep_full_resolution_and_heic_works(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    for data, name, mime in [
        (image(3000, 4000, "PNG"), "big.png", "image/png"),
        (heic(800, 1000), "IMG_0001.HEIC", "image/heic"),
    ]:
        mark = tg.mark()
        await tg.send_document(alice, data, file_name=name, mime_type=mime)
        progress = await final_progress(tg, alice.id, mark)
        (asset_id,) = TA.findall(progress.text)
        assert sim.assets[asset_id].size_bytes == len(data)


async def test_album_shares_one_progress_message_and_shows_face_mismatch(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    sim.script_assets(
        AssetOutcome(), AssetOutcome(status="Failed", code="FaceMismatch"), AssetOutcome()
    )
    mark = tg.mark()
    for i in range(3):
        await tg.send_photo(alice, image(600 + i, 800), media_group_id="album-1")
    progress = await final_progress(tg, alice.id, mark, count=3)
    assert len([m for m in tg.sent[mark:] if m.chat_id == alice.id and "📤" in m.text]) == 1
    assert "3 photos" in progress.text
    assert len(TA.findall(progress.text)) == 2
    assert "FaceMismatch" in progress.text and "verified person" in progress.text
    assert "Done: 2 of 3 active." in progress.text


async def test_bad_files_are_explained_and_never_uploaded(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    uploads = sim.count("POST", "/v1/assets")
    cases = [
        (image(200, 250, "PNG"), "tiny.png", "image/png", "too small (200×250 px)"),
        (image(300, 900, "PNG"), "tall.png", "image/png", "too narrow or too wide"),
        (image(6100, 3000, "PNG"), "huge.png", "image/png", "at most 6000 px"),
        (image(600, 800, "PNG")[:400], "cut.png", "image/png", "damaged or cut off"),
        (b"%PDF-1.4\n%%EOF", "contract.pdf", "application/pdf", "isn't an image"),
        (image(600, 800, "ICO", sizes=[(256, 256)]), "icon.ico", "image/x-icon", "isn't accepted"),
        # Telegram says the size up front; the bytes past the JPEG are never fetched.
        (image() + bytes(21 * 1024 * 1024), "raw.jpg", "image/jpeg", "over 20 MB"),
    ]
    for data, name, mime, expected in cases:
        mark = tg.mark()
        await tg.send_document(alice, data, file_name=name, mime_type=mime)
        progress = await final_progress(tg, alice.id, mark)
        assert expected in progress.text, (name, progress.text)
        assert "⚠️" in progress.text
    assert sim.count("POST", "/v1/assets") == uploads
    rows = query(settings.database, "SELECT status FROM assets")
    assert {r["status"] for r in rows} == {"rejected"}
    assert len(rows) == len(cases)


async def test_photos_before_a_face_or_before_verification(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await tg.send_photo(alice, image())
    await tg.next_message(alice.id, contains="Create a face first")
    await new_face(tg, alice)
    mark = tg.mark()
    for _ in range(3):  # an album is refused once, not three times
        await tg.send_photo(alice, image(), media_group_id="early-album")
    await tg.next_message(alice.id, after=mark, contains="isn't verified yet")
    await handled(tg, settings.database)
    assert sum("isn't verified yet" in m.text for m in tg.sent[mark:]) == 1
    assert sim.count("POST", "/v1/assets") == 0


async def test_provider_refusals_and_outages_reach_the_user(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    sim.script_assets(AssetOutcome(status="Failed", code="ContentModeration"))
    mark = tg.mark()
    await tg.send_photo(alice, image())
    progress = await final_progress(tg, alice.id, mark)
    assert "content moderation" in progress.text
    sim.inject(Fault(method="POST", path_prefix="/v1/assets", status=503))
    mark = tg.mark()
    await tg.send_photo(alice, image())
    progress = await final_progress(tg, alice.id, mark)
    assert "didn't answer" in progress.text and "again" in progress.text


async def test_upload_timeout_that_arrived_anyway_is_not_sent_twice(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    # The provider takes the upload but answers after our timeout.
    sim.inject(
        Fault(
            method="POST",
            path_prefix="/v1/assets",
            status=0,
            delay=settings.http_timeout_seconds + 0.5,
            answer_late=True,
        )
    )
    mark = tg.mark()
    await tg.send_photo(alice, image())
    progress = await final_progress(tg, alice.id, mark, timeout=20)
    (asset_id,) = TA.findall(progress.text)
    assert list(sim.assets) == [asset_id]
    assert sim.count("POST", "/v1/assets") == 1


async def test_a_5xx_after_the_provider_took_the_photo_is_not_sent_again(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    """A gateway may answer 503 after the work was done: look before calling it failed."""
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    sim.inject(Fault(method="POST", path_prefix="/v1/assets", status=503, processed=True))
    mark = tg.mark()
    await tg.send_photo(alice, image())
    progress = await final_progress(tg, alice.id, mark)
    (asset_id,) = TA.findall(progress.text)
    assert list(sim.assets) == [asset_id]
    assert sim.count("POST", "/v1/assets") == 1


async def test_a_photo_reaches_the_provider_without_gps_or_camera_data(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    """Issue 11: a JPEG sent as a file (Telegram keeps its EXIF) reaches the provider with
    the same pixels, size and orientation and no GPS or camera tags; one with no metadata
    arrives byte for byte."""
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "PhoneCo", "Phone 12", 6  # make, model, turned
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 1.0)})
    tagged, plain = io.BytesIO(), io.BytesIO()
    Image.open(io.BytesIO(image(1200, 900))).save(tagged, "JPEG", exif=exif, quality=90)
    Image.open(io.BytesIO(image(900, 1200))).save(plain, "JPEG", quality=90)
    received: dict[str, bytes] = {}
    for name, data in (("tagged", tagged.getvalue()), ("plain", plain.getvalue())):
        mark = tg.mark()
        await tg.send_document(alice, data, file_name=f"{name}.jpg", mime_type="image/jpeg")
        progress = await final_progress(tg, alice.id, mark)
        (asset_id,) = TA.findall(progress.text)
        received[name] = sim.assets[asset_id].content
    assert received["plain"] == plain.getvalue()
    sent, arrived = Image.open(tagged), Image.open(io.BytesIO(received["tagged"]))
    assert b"PhoneCo" not in received["tagged"] and b"Phone 12" not in received["tagged"]
    tags = arrived.getexif()
    assert not tags.get_ifd(0x8825) and 0x010F not in tags and 0x0110 not in tags
    assert tags.get(0x0112) == 6  # still shown turned, as the camera meant
    assert arrived.size == sent.size == (1200, 900)
    assert arrived.tobytes() == sent.tobytes()  # pixels copied, not encoded again
