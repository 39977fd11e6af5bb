"""What a person reads about their own data: /forgetme (issue 11)."""

from __future__ import annotations

from bot.services.forget import ForgetDone, ForgetPreview
from bot.telegram.texts.faces import photos, photos_fate, videos


def _faces(n: int) -> str:
    return "1 face" if n == 1 else f"{n} faces"


def confirm_forget(p: ForgetPreview) -> str:
    lines = ["🗑 <b>Forget me?</b> This removes your data from the bot:"]
    if p.faces:
        lines.append(
            f"• your {_faces(p.faces)}: withdrawn, so no video can be made with them again; "
            "their photos are deleted at the provider where it allows that;"
        )
    if p.made_of_them:
        lines.append(
            f"• your consent to {_faces(p.made_of_them)} made of you: withdrawn, and their "
            "owners are told;"
        )
    lines.append(
        f"• {videos(p.videos)} and {photos(p.photos)} on record here, your settings, and "
        "your name and @username. Videos you received stay in your chats; a video still "
        "being made for you won't be sent."
    )
    lines.append(
        "\nKept: the record that those faces were withdrawn (name, dates, who consented), "
        "for whoever else they concern. This can't be undone."
    )
    return "\n".join(lines)


def forgotten(done: ForgetDone) -> str:
    lines = ["✅ Done: I've forgotten you."]
    if done.faces:
        lines.append(f"{_faces(done.faces).capitalize()} of yours withdrawn.")
    if done.made_of_them:
        lines.append(f"Your consent to {_faces(len(done.made_of_them))} withdrawn.")
    if done.videos:
        lines.append(f"{videos(done.videos).capitalize()} erased.")
    lines += [photos_fate(outcome, "the photos") for outcome in done.photos]
    lines.append("If you write to me again, I start afresh.")
    return "\n".join(lines)


def kept() -> str:
    return "Nothing was removed. /privacy says what I keep."
