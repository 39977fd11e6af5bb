"""What a group chat reads: admin answers, upload prompts, the group's rules."""

from __future__ import annotations

from bot.services.groups import Access, Listing
from bot.telegram.texts.common import MAX_TEXT, e
from storage.models import Face

ACCESS_TEXT = {
    "everyone": "every member",
    "admins": "admins only",
    "listed": "admins and the members on the list",
}


def group_needs_name() -> str:
    return "In a group, give the name with the command: /newface <i>name</i>."


def group_upload_prompt(face: Face) -> str:
    return (
        f"📥 <b>Photos for “{e(face.name)}”</b>: admins, <b>reply to this message</b> with "
        "photos of the verified person (as photos or files, albums too). I only see photos "
        "sent as replies to me here."
    )


def admins_only() -> str:
    return "Only this group's admins can do that."


def forwarded_command() -> str:
    return "A forwarded command doesn't count: an admin has to send it here."


def group_help(bot_username: str) -> str:
    return (
        "<b>realface-bot in this group</b>\n"
        "• /generate <i>prompt</i>: a video of one of this group's faces (as the group "
        "allows).\n"
        "Admins:\n"
        "• /newface <i>name</i>: a Real Face that belongs to the group; /faces to manage them "
        "and to post an upload prompt (photos come as replies to it).\n"
        "• /provider, /settings: the provider for new faces, the default video settings.\n"
        "• /access: who may generate (everyone, admins, listed members); /allow and /deny "
        "as a reply to a member's message; /quota <i>n</i> videos per member a day "
        "(/quota off).\n"
        "• /jobs: the group's recent videos.\n"
        f"Your own faces stay private: talk to me at https://t.me/{e(bot_username)}"
    )


def group_provider(name: str) -> str:
    return f"New faces in this group will be made at <b>{e(name)}</b>."


def choose_group_provider(current: str | None) -> str:
    now = f" (now: {e(current)})" if current else ""
    return f"Where should this group's new faces live{now}?"


def group_access(access: str, listed: list[str]) -> str:
    line = f"Who may generate videos here: <b>{ACCESS_TEXT[access]}</b>."
    if access == "listed":
        names = _names(listed, MAX_TEXT - 300) or "nobody yet"
        line += f"\nOn the list: {names}. Add with /allow, remove with /deny (as a reply)."
    else:
        line += (
            "\nThe list counts only with “admins and the members on the list”; "
            f"{len(listed)} on it now (/allow, /deny as a reply to a member)."
        )
    return line


def _names(names: list[str], budget: int) -> str:
    """As many names as fit in ``budget`` characters, then how many more there are."""
    shown: list[str] = []
    used = 0
    for i, name in enumerate(names):
        piece = e(name)
        rest = f", …and {len(names) - i} more"
        if used + len(piece) + 2 + len(rest) > budget:
            return ", ".join(shown) + rest
        shown.append(piece)
        used += len(piece) + 2
    return ", ".join(shown)


def reply_to_member(command: str) -> str:
    return f"Send {command} as a reply to a message of the member you mean."


def listing(change: Listing) -> str:
    """What /allow or /deny did, and what the member can do right now (HOLE 4: the list
    counts only in the listed mode, so the answer says the truth in the other two)."""
    who = e(change.name)
    if change.on_list:
        head = f"{who} is on the list"
    else:
        head = f"{who} is off the list" if change.changed else f"{who} wasn't on the list"
    if change.list_counts:
        return f"{who} may generate videos here." if change.on_list else f"{head}."
    if change.access is Access.ADMINS:
        if change.on_list:
            return (
                f"{head}, but right now only admins may generate here. "
                "Switch to admins and listed members?"
            )
        return f"{head}. Right now only admins may generate here anyway."
    # Everyone may: the list changes nothing until the mode is switched.
    return (
        f"{head}, but right now every member may generate here, {who} too. "
        "Switch to admins and listed members?"
    )


def switch_to_listed() -> str:
    return "Switch to admins and listed members"


def quota_usage() -> str:
    return "Use /quota <i>n</i> (videos per member a day) or /quota off."


def quota_set(quota: int | None) -> str:
    if quota is None:
        return "No daily limit per member here (the bot-wide limits still apply)."
    return f"Each member may make {quota} video(s) a day here (admins are not limited)."


def face_active_in_group(face: Face) -> str:
    return (
        f"✅ <b>“{e(face.name)}”</b> is verified.\n"
        "Admins: <b>reply to this message</b> with photos of this person (as photos or files, "
        "albums too). Then anyone allowed here can /generate."
    )
