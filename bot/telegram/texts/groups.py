"""What a group chat reads: admin answers, upload prompts, the group's rules."""

from __future__ import annotations

from bot.services.groups import Access, Listing
from bot.telegram.i18n import _, n_
from bot.telegram.texts.common import MAX_TEXT, e
from storage.models import Face


def access_text(access: str) -> str:
    """Who may generate, as it reads inside a sentence."""
    match access:
        case "everyone":
            return _("every member")
        case "admins":
            return _("admins only")
        case "listed":
            return _("admins and the members on the list")
    return access


def access_choice(access: str) -> str:
    """Who may generate, as a button's label."""
    match access:
        case "everyone":
            return _("Every member")
        case "admins":
            return _("Admins only")
        case "listed":
            return _("Admins and the members on the list")
    return access


def group_needs_name() -> str:
    return _("In a group, give the name with the command: /newface <i>name</i>.")


def group_upload_prompt(face: Face) -> str:
    return _(
        "📥 <b>Photos for “{name}”</b>: admins, <b>reply to this message</b> with "
        "photos of the verified person (as photos or files, albums too). I only see photos "
        "sent as replies to me here.",
        name=e(face.name),
    )


def admins_only() -> str:
    return _("Only this group's admins can do that.")


def forwarded_command() -> str:
    return _("A forwarded command doesn't count: an admin has to send it here.")


def group_help(bot_username: str) -> str:
    return "\n".join(
        [
            _("<b>realface-bot in this group</b>"),
            _(
                "• /generate <i>prompt</i>: a video of one of this group's faces (as the group "
                "allows)."
            ),
            _("Admins:"),
            _(
                "• /newface <i>name</i>: a Real Face that belongs to the group; /faces to "
                "manage them and to post an upload prompt (photos come as replies to it)."
            ),
            _("• /provider, /settings: the provider for new faces, the default video settings."),
            _(
                "• /access: who may generate (everyone, admins, listed members); /allow and "
                "/deny as a reply to a member's message; /quota <i>n</i> videos per member a "
                "day (/quota off)."
            ),
            _("• /jobs: the group's recent videos."),
            _("• /language: the language I use in this group."),
            _(
                "Your own faces stay private: talk to me at https://t.me/{bot}",
                bot=e(bot_username),
            ),
        ]
    )


def group_provider(name: str) -> str:
    return _("New faces in this group will be made at <b>{provider}</b>.", provider=e(name))


def choose_group_provider(current: str | None) -> str:
    if current:
        return _(
            "Where should this group's new faces live (now: {provider})?", provider=e(current)
        )
    return _("Where should this group's new faces live?")


def group_access(access: str, listed: list[str]) -> str:
    line = _("Who may generate videos here: <b>{who}</b>.", who=access_text(access))
    if access == "listed":
        names = _names(listed, MAX_TEXT - 300) or _("nobody yet")
        more = _(
            "On the list: {names}. Add with /allow, remove with /deny (as a reply).", names=names
        )
    else:
        more = n_(
            "The list counts only with “admins and the members on the list”; "
            "{n} on it now (/allow, /deny as a reply to a member).",
            "The list counts only with “admins and the members on the list”; "
            "{n} on it now (/allow, /deny as a reply to a member).",
            len(listed),
        )
    return f"{line}\n{more}"


def _names(names: list[str], budget: int) -> str:
    """As many names as fit in ``budget`` characters, then how many more there are."""
    shown: list[str] = []
    used = 0
    for i, name in enumerate(names):
        piece = e(name)
        rest = ", " + n_("…and {n} more", "…and {n} more", len(names) - i)
        if used + len(piece) + 2 + len(rest) > budget:
            return ", ".join(shown) + rest
        shown.append(piece)
        used += len(piece) + 2
    return ", ".join(shown)


def reply_to_member(command: str) -> str:
    return _("Send {command} as a reply to a message of the member you mean.", command=command)


def listing(change: Listing) -> str:
    """What /allow or /deny did, and what the member can do right now (HOLE 4: the list
    counts only in the listed mode, so the answer says the truth in the other two)."""
    who = e(change.name)
    if change.list_counts:
        if change.on_list:
            return _("{who} may generate videos here.", who=who)
        if change.changed:
            return _("{who} is off the list.", who=who)
        return _("{who} wasn't on the list.", who=who)
    if change.access is Access.ADMINS:
        if change.on_list:
            return _(
                "{who} is on the list, but right now only admins may generate here. "
                "Switch to admins and listed members?",
                who=who,
            )
        if change.changed:
            return _(
                "{who} is off the list. Right now only admins may generate here anyway.", who=who
            )
        return _(
            "{who} wasn't on the list. Right now only admins may generate here anyway.", who=who
        )
    # Everyone may: the list changes nothing until the mode is switched.
    if change.on_list:
        return _(
            "{who} is on the list, but right now every member may generate here, {who} too. "
            "Switch to admins and listed members?",
            who=who,
        )
    if change.changed:
        return _(
            "{who} is off the list, but right now every member may generate here, {who} too. "
            "Switch to admins and listed members?",
            who=who,
        )
    return _(
        "{who} wasn't on the list, but right now every member may generate here, {who} too. "
        "Switch to admins and listed members?",
        who=who,
    )


def switch_to_listed() -> str:
    return _("Switch to admins and listed members")


def quota_usage() -> str:
    return _("Use /quota <i>n</i> (videos per member a day) or /quota off.")


def quota_set(quota: int | None) -> str:
    if quota is None:
        return _("No daily limit per member here (the bot-wide limits still apply).")
    return n_(
        "Each member may make {n} video a day here (admins are not limited).",
        "Each member may make {n} videos a day here (admins are not limited).",
        quota,
    )


def face_active_in_group(face: Face) -> str:
    head = _("✅ <b>“{name}”</b> is verified.", name=e(face.name))
    how = _(
        "Admins: <b>reply to this message</b> with photos of this person (as photos or files, "
        "albums too). Then anyone allowed here can /generate."
    )
    return f"{head}\n{how}"
