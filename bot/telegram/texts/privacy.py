"""What a person reads about their own data: /forgetme (issue 11)."""

from __future__ import annotations

from bot.services.forget import ForgetDone, ForgetPreview
from bot.telegram.i18n import _, n_
from bot.telegram.texts.consent import photos_fate


def confirm_forget(p: ForgetPreview) -> str:
    lines = [_("🗑 <b>Forget me?</b> This removes your data from the bot:")]
    if p.faces:
        lines.append(
            n_(
                "• your {n} face: withdrawn, so no video can be made with them again; their "
                "photos are deleted at the provider where it allows that;",
                "• your {n} faces: withdrawn, so no video can be made with them again; their "
                "photos are deleted at the provider where it allows that;",
                p.faces,
            )
        )
    if p.made_of_them:
        lines.append(
            n_(
                "• your consent to {n} face made of you: withdrawn, and their owners are told;",
                "• your consent to {n} faces made of you: withdrawn, and their owners are told;",
                p.made_of_them,
            )
        )
    lines.append(
        _(
            "• {videos} and {photos} on record here, your settings, and your name and "
            "@username. Videos you received stay in your chats; a video still being made for "
            "you won't be sent.",
            videos=n_("{n} video", "{n} videos", p.videos),
            photos=n_("{n} photo", "{n} photos", p.photos),
        )
    )
    lines.append(
        "\n"
        + _(
            "Kept: the record that those faces were withdrawn (name, dates, who consented), "
            "for whoever else they concern. This can't be undone."
        )
    )
    return "\n".join(lines)


def forgotten(done: ForgetDone) -> str:
    lines = [_("✅ Done: I've forgotten you.")]
    if done.faces:
        lines.append(
            n_("{n} face of yours withdrawn.", "{n} faces of yours withdrawn.", done.faces)
        )
    if done.made_of_them:
        lines.append(
            n_(
                "Your consent to {n} face withdrawn.",
                "Your consent to {n} faces withdrawn.",
                len(done.made_of_them),
            )
        )
    if done.videos:
        lines.append(n_("{n} video erased.", "{n} videos erased.", done.videos))
    lines += [photos_fate(outcome, "the photos") for outcome in done.photos]
    lines.append(_("If you write to me again, I start afresh."))
    return "\n".join(lines)


def kept() -> str:
    return _("Nothing was removed. /privacy says what I keep.")
