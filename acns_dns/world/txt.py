"""TXT content: RFC 1035 §5.1 character-strings, read and written the same way everywhere.

Presentation form (what is stored, what zone files and the API show): one or more quoted
strings, ``"v=spf1 mx -all"`` or ``"part one" "part two"``, where ``\\"`` is a quote, ``\\\\``
a backslash and ``\\DDD`` any octet (RFC 1035 §5.1). Content that does not start with a quote
is one text, as Cloudflare's API takes it: ``v=DKIM1; k=rsa; p=...`` keeps its spaces and
semicolons (there are no comments in an API field), cut into strings of 255 octets (RFC 1035
§3.3: a character-string is at most 255). ``parse`` refuses what cannot be encoded with a
one-line reason; ``format`` writes strings back so ``parse(format(x)) == x``. Imports: nothing.
"""

from __future__ import annotations

MAX_STRING = 255  # octets in one character-string (RFC 1035 §3.3)
MAX_RDATA = 65535


def parse(content: str) -> list[bytes]:
    """The character-strings of TXT ``content``.

    Raises:
        ValueError: saying what is wrong (unterminated quote, bad escape, a string too long).
    """
    text = content.strip()
    if not text:
        raise ValueError("it is empty")
    if not text.startswith('"'):
        raw = text.encode("utf-8")
        strings = [raw[i:i + MAX_STRING] for i in range(0, len(raw), MAX_STRING)]
    else:
        strings = _quoted(text)
    if sum(len(s) + 1 for s in strings) > MAX_RDATA:
        raise ValueError(f"longer than {MAX_RDATA} octets")
    return strings


def _quoted(text: str) -> list[bytes]:
    strings: list[bytes] = []
    pos, size = 0, len(text)
    while pos < size:
        if text[pos] in " \t":
            pos += 1
            continue
        quoted = text[pos] == '"'
        pos += 1 if quoted else 0
        out = bytearray()
        while True:
            if pos >= size:
                if quoted:
                    raise ValueError("a quoted string is not closed")
                break
            char = text[pos]
            if quoted and char == '"':
                pos += 1
                break
            if not quoted and char in ' \t"':
                if char == '"':
                    raise ValueError('a quote inside an unquoted string (write \\" for a quote)')
                break
            if char == "\\":
                pos = _escape(text, pos, out)
                continue
            out += char.encode("utf-8")
            pos += 1
        if len(out) > MAX_STRING:
            raise ValueError(f"a string of {len(out)} octets (at most {MAX_STRING}, "
                             "RFC 1035 §3.3; split it into several quoted strings)")
        strings.append(bytes(out))
    return strings


def _escape(text: str, pos: int, out: bytearray) -> int:
    """Append the octet of the escape at ``pos`` (``\\X`` or ``\\DDD``); the next position."""
    digits = text[pos + 1:pos + 4]
    if len(digits) == 3 and digits.isdigit():
        value = int(digits)
        if value > 255:
            raise ValueError(f"escape \\{digits} is not an octet (0 to 255)")
        out.append(value)
        return pos + 4
    if pos + 1 >= len(text):
        raise ValueError("it ends with a lone backslash")
    out += text[pos + 1].encode("utf-8")
    return pos + 2


def format(strings: list[bytes]) -> str:
    """Presentation form: every string quoted; quote, backslash and odd octets escaped."""
    return " ".join('"' + "".join(_char(octet) for octet in s) + '"' for s in strings)


def _char(octet: int) -> str:
    if octet in (0x22, 0x5C):
        return "\\" + chr(octet)
    if 0x20 <= octet < 0x7F:
        return chr(octet)
    return f"\\{octet:03d}"


def wire(strings: list[bytes]) -> bytes:
    """The RDATA: each string with its length octet."""
    return b"".join(bytes((len(s),)) + s for s in strings)
