"""Keep a dotenv (``.env``) file up to date with a set of managed keys, without disturbing the rest.

The Dezky dev stack's services read their settings from a ``.env`` file through two different
readers: docker compose (compose-go's ``dotenv`` package) and python-dotenv. This module rewrites
only the lines that assign managed keys, keeps every other line byte for byte (comments, blank lines,
order, ``export`` prefixes, lines it does not understand) and writes values in a form that both
readers read back as exactly the value given.

Quoting rules (``encode_value``), derived from compose-go v2.16.2 ``dotenv/parser.go`` +
``template/template.go`` and python-dotenv 1.2.4 ``dotenv/parser.py`` + ``dotenv/variables.py``:

* Bare (``KEY=value``) when every character is in ``[A-Za-z0-9_./:@+,=-]`` (or the value is
  empty): neither reader strips, comments out, quotes or interpolates such a value.
* Single quotes (``KEY='value'``) when the value holds no ``'``, no backslash and no line break.
  compose reads single-quoted text as is (no ``$`` interpolation; only ``\\'`` is an escape); python-dotenv
  decodes only ``\\\\`` and ``\\'`` there, which cannot occur. This is the only form in which both read
  ``$`` literally: unquoted and double-quoted compose values interpolate ``$VAR`` and need ``$$``,
  which python-dotenv would keep as two dollars.
* Double quotes (``KEY="value"``) otherwise, escaping ``\\`` as ``\\\\``, ``"`` as ``\\"``, LF as ``\\n``
  and CR as ``\\r``: the escapes both readers decode the same way. Line breaks are escaped so every
  managed assignment stays on one line (python-dotenv reads files with universal newlines, so a raw
  CR would not survive anyway).
* Refused with ``UnrepresentableValueError`` naming the key (never the value): a value holding
  ``$`` together with ``'``, a backslash or a line break (it needs double quotes, where compose
  reads a literal dollar only as ``$$`` or ``\\$`` and python-dotenv keeps both of those as two
  characters), and any value holding ``${``, which python-dotenv expands as a variable in every
  quoting form and offers no escape for.

Both readers let the last assignment of a key win, so ``merge`` rewrites every assignment of a
managed key, not just the first: updating only the first would leave a stale later duplicate in force.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

MANAGED_HEADER = "# managed by dezky-infra (pulumi stack outputs)"
"""Comment written once above the keys ``merge`` appends, so readers know where they come from."""

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE_VALUE = re.compile(r"[A-Za-z0-9_./:@+,=-]*")
# An assignment at the start of a line: the key is a shell-style name, as for every managed key.
_ASSIGNMENT = re.compile(r"[ \t]*(?P<export>export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*")
# A quoted value as both readers delimit it: a backslash escapes the next character, newlines included.
_QUOTED_VALUE = re.compile(r"'(?:\\.|[^'\\])*'" r'|"(?:\\.|[^"\\])*"', re.DOTALL)
_DOUBLE_QUOTE_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


class Change(StrEnum):
    """What ``merge`` did to one managed key."""

    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class UnrepresentableValueError(ValueError):
    """A key or value cannot be written so that compose and python-dotenv read it back unchanged.

    The message names the key and the offending kind of character, never the value: values are secrets.
    """


@dataclass(frozen=True)
class Line:
    """One logical line of a dotenv file.

    ``body`` is the text without its terminator; it spans several physical lines only when an
    assignment's quoted value does. ``newline`` is ``"\\n"``, ``"\\r\\n"`` or ``""`` (last line without
    one). ``key`` is the assigned key, or None for comments, blank lines and anything else, which are
    kept verbatim. ``export`` tells whether the assignment carries an ``export`` prefix.
    """

    body: str
    newline: str
    key: str | None = None
    export: bool = False

    @property
    def text(self) -> str:
        """The line exactly as it appears in the file, terminator included."""
        return self.body + self.newline


def parse(text: str) -> list[Line]:
    """Split dotenv text into lines; ``"".join(line.text for line in parse(text)) == text`` always."""
    lines: list[Line] = []
    position = 0
    while position < len(text):
        end = _end_of_line(text, position)
        assignment = _ASSIGNMENT.match(text, position, end)
        if assignment is not None:
            # A quoted value may run over several lines; the entry then ends with the closing quote's line.
            quoted = _QUOTED_VALUE.match(text, assignment.end())
            if quoted is not None and quoted.end() > end:
                end = _end_of_line(text, quoted.end())
        stop = min(end + 1, len(text))
        raw = text[position:stop]
        newline = "\r\n" if raw.endswith("\r\n") else "\n" if raw.endswith("\n") else ""
        lines.append(
            Line(
                body=raw[: len(raw) - len(newline)],
                newline=newline,
                key=None if assignment is None else assignment["key"],
                export=assignment is not None and assignment["export"] is not None,
            )
        )
        position = stop
    return lines


def _end_of_line(text: str, position: int) -> int:
    """Index of the first ``\\n`` at or after ``position``, or ``len(text)`` when there is none."""
    end = text.find("\n", position)
    return len(text) if end == -1 else end


def encode_value(key: str, value: str) -> str:
    """Return ``value`` as dotenv text that compose and python-dotenv both read back as ``value``.

    The forms and why each is safe are listed in the module docstring. ``key`` only names the
    assignment in the error raised for a value that has no such form.
    """
    if "${" in value:
        raise UnrepresentableValueError(
            f"{key}: the value contains '${{', which python-dotenv expands as a variable and cannot escape"
        )
    if _BARE_VALUE.fullmatch(value):
        return value
    if not any(char in value for char in "'\\\n\r"):
        return f"'{value}'"
    if "$" in value:
        raise UnrepresentableValueError(
            f"{key}: the value contains '$' together with a single quote, backslash or line break; "
            "no quoting makes docker compose and python-dotenv read that back identically"
        )
    return f'"{value.translate(_DOUBLE_QUOTE_ESCAPES)}"'


def format_assignment(key: str, value: str) -> str:
    """Return the canonical ``KEY=value`` line (without terminator) for one managed key."""
    if not _KEY.fullmatch(key):
        raise UnrepresentableValueError(f"{key!r} is not a valid variable name (letters, digits, '_')")
    return f"{key}={encode_value(key, value)}"


def merge(existing_text: str, values: Mapping[str, str]) -> tuple[str, dict[str, Change]]:
    """Return ``existing_text`` with ``values`` assigned, and what happened to each key.

    Every assignment of a managed key is replaced by its canonical line (keeping its ``export``
    prefix and terminator); a key is ``unchanged`` only when all its assignments already are
    canonical, so a value quoted differently by hand is rewritten once. Keys without an assignment
    are appended at the end, below ``MANAGED_HEADER`` unless the file already has that header. All
    other lines are kept verbatim. When nothing changes the result is ``existing_text`` itself.
    Raises ``UnrepresentableValueError`` before anything is built if a key or value cannot be written.
    """
    assignments = {key: format_assignment(key, value) for key, value in values.items()}
    changes = dict.fromkeys(values, Change.ADDED)
    lines = parse(existing_text)
    merged: list[str] = []
    for line in lines:
        if line.key is None or line.key not in assignments:
            merged.append(line.text)
            continue
        wanted = ("export " if line.export else "") + assignments[line.key]
        if line.body != wanted:
            changes[line.key] = Change.CHANGED
        elif changes[line.key] is Change.ADDED:
            changes[line.key] = Change.UNCHANGED
        merged.append(wanted + line.newline)

    missing = [key for key, change in changes.items() if change is Change.ADDED]
    if missing:
        newline = next((line.newline for line in lines if line.newline), "\n")
        if merged and not merged[-1].endswith("\n"):
            merged[-1] += newline
        if not any(line.body.strip() == MANAGED_HEADER for line in lines):
            if merged and merged[-1].strip():
                merged.append(newline)
            merged.append(MANAGED_HEADER + newline)
        merged.extend(assignments[key] + newline for key in missing)
    return "".join(merged), changes


def read_env_file(path: Path) -> str:
    """Return the file's text with line endings untouched, or ``""`` when it does not exist yet."""
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            return stream.read()
    except FileNotFoundError:
        return ""


def write_env_file(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, leaving a file of mode 0600 whatever it was before.

    The text goes to a temporary file in the same directory, created by ``mkstemp`` (``os.open`` with
    ``O_CREAT | O_EXCL`` and mode 0600, so it is never readable by others, not even briefly), then
    flushed, fsynced and moved over ``path`` with ``os.replace``; the directory is fsynced so the
    rename survives a crash. Readers see the old file or the new one, never a mix; on any failure the
    old file is left intact and the temporary file removed. A symlinked ``path`` is followed: the file
    it points to is replaced. The new file belongs to the current user, with mode exactly 0600 even
    where the old one was 0644 and whatever the umask.
    """
    target = path.resolve()
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            os.fchmod(stream.fileno(), 0o600)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def sync_env_file(path: Path, values: Mapping[str, str], *, write: bool) -> dict[str, Change]:
    """Compute what ``merge`` would change in ``path`` and, when ``write`` is set, apply it.

    The file is rewritten only when some key was added or changed, so a second run leaves its bytes
    and mtime alone. When nothing changed but the existing file is readable or writable by group or
    others (it holds secrets), its mode is tightened to 0600 in place, which leaves content and mtime
    as they are. With ``write`` unset nothing on disk is touched.
    """
    existing = read_env_file(path)
    new_text, changes = merge(existing, values)
    if write and new_text != existing:
        write_env_file(path, new_text)
    elif write and path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
    return changes
