"""HTML parse mode: a port of tdlib's parse_html (same error texts and byte offsets)."""

from __future__ import annotations

import re

from tests.fakes.telegram_api.common import _COMMAND_RE, JSON, _words


class HtmlParseError(ValueError):
    pass


_HTML_TAGS = _words(
    "a b strong i em u ins s strike del code pre tg-spoiler span blockquote tg-emoji"
)
_HTML_SPACE = frozenset(b" \t\r\n\x0b\x00")
_HTML_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}
_SIMPLE_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


def _decode_html_entity(raw: bytes, pos: int) -> tuple[str, int] | None:
    """The character of the entity starting at raw[pos] ('&') and the position after it."""
    end = pos + 1
    if raw[end : end + 1] == b"#":
        end += 1
        hexadecimal = raw[end : end + 1] == b"x"
        if hexadecimal:
            end += 1
        digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
        start = end
        while end < len(raw) and raw[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(raw[start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = end
        while end < len(raw) and chr(raw[end]).isascii() and chr(raw[end]).isalpha():
            end += 1
        named = _HTML_ENTITIES.get(raw[start:end])
        if named is None:
            return None
        char = named
    if raw[end : end + 1] == b";":
        end += 1
    return char, end


def _utf16_len(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[JSON]]:
    """Parse Bot API HTML into (plain text, MessageEntity dicts with UTF-16 offsets).

    Raises HtmlParseError with tdlib's message. With strict_ampersand a '&' that does not start
    an entity is refused (the real Bot API keeps it as text, but the docs require &amp;).
    """
    raw = text.encode("utf-8")
    size = len(raw)
    out: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    # (tag name, argument, utf16 offset, len(out) at the start)
    nested: list[tuple[str, str, int, int]] = []

    def at(index: int) -> int:
        return raw[index] if index < size else 0

    i = 0
    while i < size:
        char = raw[i]
        if char == ord("&"):
            decoded = _decode_html_entity(raw, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16 += _utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise HtmlParseError(
                    f'Character "&" at byte offset {i} must be escaped as "&amp;" '
                    "(strict check of the fake; the real Bot API would keep it as text)"
                )
        if char != ord("<"):
            end = i + 1
            while end < size and raw[end] not in b"<&":
                end += 1
            chunk = raw[i:end].decode("utf-8", "replace")
            out.append(chunk)
            utf16 += _utf16_len(chunk)
            i = end
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):  # a start tag
            while at(i) not in _HTML_SPACE and at(i) != ord(">"):
                i += 1
            if at(i) == 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            tag = raw[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in _HTML_TAGS:
                raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != ord(">"):
                while at(i) != 0 and at(i) in _HTML_SPACE:
                    i += 1
                if at(i) == ord(">"):
                    break
                attribute_begin = i
                while at(i) not in _HTML_SPACE and at(i) not in b"=>":
                    i += 1
                attribute = raw[attribute_begin:i].decode("utf-8", "replace").lower()
                if not attribute:
                    raise HtmlParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while at(i) != 0 and at(i) in _HTML_SPACE:
                    i += 1
                if at(i) != ord("="):
                    if tag == "blockquote" and attribute == "expandable":
                        argument = "expandable"
                        continue
                    if at(i) == 0:
                        raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                    raise HtmlParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin}'
                    )
                i += 1
                while at(i) != 0 and at(i) in _HTML_SPACE:
                    i += 1
                if at(i) == 0:
                    raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                value: list[str] = []
                if at(i) not in b"'\"":
                    token_begin = i
                    while at(i) != 0 and (
                        (chr(at(i)).isascii() and chr(at(i)).isalnum()) or at(i) in b".-"
                    ):
                        i += 1
                    value.append(raw[token_begin:i].decode("ascii").lower())
                    if at(i) not in _HTML_SPACE and at(i) != ord(">"):
                        raise HtmlParseError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    while at(i) != quote and at(i) != 0:
                        if at(i) == ord("&"):
                            decoded = _decode_html_entity(raw, i)
                            if decoded is not None:
                                value.append(decoded[0])
                                i = decoded[1]
                                continue
                        end = i + 1
                        while end < size and raw[end] not in (quote, ord("&")):
                            end += 1
                        value.append(raw[i:end].decode("utf-8", "replace"))
                        i = end
                    if at(i) == quote:
                        i += 1
                if at(i) == 0:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
                attribute_value = "".join(value)
                if tag == "a" and attribute == "href":
                    argument = attribute_value
                elif tag == "code" and attribute == "class":
                    if attribute_value.startswith("language-"):
                        argument = attribute_value.removeprefix("language-")
                elif tag == "span" and attribute == "class":
                    if attribute_value.startswith("tg-"):
                        argument = attribute_value.removeprefix("tg-")
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = attribute_value
                elif tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
            if tag == "span" and argument != "spoiler":
                raise HtmlParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            nested.append((tag, argument, utf16, len(out)))
        else:  # an end tag
            if not nested:
                raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
            while at(i) not in _HTML_SPACE and at(i) != ord(">"):
                i += 1
            end_tag = raw[begin + 2 : i].decode("utf-8", "replace").lower()
            while at(i) != 0 and at(i) in _HTML_SPACE:
                i += 1
            if at(i) != ord(">"):
                raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
            tag, argument, offset, out_start = nested.pop()
            if end_tag and end_tag != tag:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                    f'found "</{end_tag}>"'
                )
            length = utf16 - offset
            if length > 0:
                _close_html_entity(
                    entities, tag, argument, offset, length, "".join(out[out_start:])
                )
        i += 1  # past '>'
    if nested:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{nested[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities


def _close_html_entity(
    entities: list[JSON], tag: str, argument: str, offset: int, length: int, inner: str
) -> None:
    span: JSON = {"offset": offset, "length": length}
    if tag in _SIMPLE_TAG_ENTITY:
        entities.append({"type": _SIMPLE_TAG_ENTITY[tag], **span})
    elif tag == "a":
        url = argument or inner
        if not url:
            return
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
            url = "http://" + url
        entities.append({"type": "text_link", **span, "url": url})
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entities.append({"type": "custom_emoji", **span, "custom_emoji_id": argument})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument == "expandable" else "blockquote"
        entities.append({"type": kind, **span})
    elif tag == "code":
        entity: JSON = {"type": "code", **span}
        if argument:
            entity["language"] = argument
        entities.append(entity)
    elif tag == "pre":
        for index, other in enumerate(entities):
            if (
                other["type"] == "code"
                and other["offset"] == offset
                and other["length"] == length
                and other.get("language")
            ):
                entities[index] = {"type": "pre", **span, "language": other["language"]}
                return
        entities.append({"type": "pre", **span})


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Strip leading and trailing whitespace as Telegram does, keeping entities in range."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    fixed: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return stripped, fixed


def _command_entities(text: str) -> list[JSON]:
    match = _COMMAND_RE.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]
