"""The search language of seed 001, translated into a linear-time regular expression.

Seed 001's operator table, read literally (PRODUCT.md):

| operator  | meaning                               | becomes            |
|-----------|---------------------------------------|--------------------|
| `%`       | any character, one or more times      | `(?:.+)`           |
| `_`       | any single character                  | `(?:.)`            |
| `|`       | at least one of the options           | `|`                |
| `*` `+` `?` | previous item 0+ / 1+ / 0-1 times   | `*` `+` `?`        |
| `{m}` `{m,}` `{m,n}` | previous item m / m+ / m..n times | the same      |
| `(...)`   | groups items into one logical item    | `(?:...)`          |
| `[...]`   | a character class                     | `[...]`            |

Every translated operator is wrapped in its own group, so a following quantifier applies to the
whole operator: `%?` becomes `(?:.+)?`, an *optional run* (zero or more characters), never Python's
lazy `.+?`. A backslash makes the next character literal (`\\%` is a percent sign). Every other
character is matched literally, case-insensitively, against the *whole* name (`^(?:...)$`).

The result is validated with RE2 (the engine behind REGEXP on SQLite, nekosite/lib/sqlite_regexp.py)
so both databases accept the same language: RE2 has no backreferences or look-arounds and matches in
linear time. PostgreSQL evaluates the same pattern with `~*`, served by the trigram indexes of
migration 0002.
"""

from __future__ import annotations

import functools

import re2

MAX_QUERY_LENGTH = 50
MAX_REPEAT = 255

# Seed 002: "400: Invalid search query".
TOO_LONG_MESSAGE = "The search query provided is longer than 50 characters."

# Characters with a meaning in seed 001's language; `\` before one of them makes it literal.
OPERATORS = frozenset("%_|*+?{}()[]\\")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


class SearchError(ValueError):
    """The query is not a valid search pattern; the message is shown to the client."""


def _literal(char: str) -> str:
    """A character matched as itself. Punctuation gets a backslash, which RE2 and PostgreSQL's
    ARE both read as "this character"; letters, digits and spaces are safe as they are."""
    if char in _ASCII_PUNCTUATION:
        return "\\" + char
    if ord(char) < 0x20 or ord(char) == 0x7F:
        raise SearchError("The search query contains a control character.")
    return char


def _class(query: str, start: int) -> tuple[str, int]:
    """Translate the class opening at query[start] == "["; returns (regex, index after "]")."""
    i = start + 1
    out = ["["]
    if i < len(query) and query[i] == "^":
        out.append("^")
        i += 1
    members = 0
    while i < len(query):
        char = query[i]
        if char == "]":
            if members == 0:
                raise SearchError("The search query has an empty character class [].")
            out.append("]")
            return "".join(out), i + 1
        if char == "\\":
            if i + 1 >= len(query):
                break
            out.append(_literal(query[i + 1]))
            i += 2
        elif char == "-" and members > 0 and i + 1 < len(query) and query[i + 1] != "]":
            out.append("-")  # a range such as a-z
            i += 1
            continue
        else:
            out.append(_literal(char))
            i += 1
        members += 1
    raise SearchError("The search query has a [ without its closing ].")


def _quantifier(query: str, start: int) -> tuple[str, int]:
    """Translate {m}, {m,} or {m,n} at query[start] == "{"."""
    end = query.find("}", start)
    if end == -1:
        raise SearchError("The search query has a { without its closing }.")
    body = query[start + 1 : end]
    low, comma, high = body.partition(",")
    if not low.isdigit() or (high and not high.isdigit()) or (not comma and high):
        raise SearchError("The search query has a repetition that is not {m}, {m,} or {m,n}.")
    if not low.isascii() or not high.isascii():
        raise SearchError("The search query has a repetition that is not {m}, {m,} or {m,n}.")
    # PostgreSQL's regex engine refuses counts above 255 (RE_DUP_MAX); RE2 stops at 1000.
    if int(low) > MAX_REPEAT or (high and int(high) > MAX_REPEAT):
        raise SearchError("The search query repeats something more than 255 times.")
    if high and int(high) < int(low):
        raise SearchError("The search query has a repetition {m,n} with m greater than n.")
    return "{" + body + "}", end + 1


def translate(query: str) -> str:
    """The regular expression (without flags or anchors) for a seed 001 search query."""
    out: list[str] = []
    i = 0
    depth = 0
    # Whether something precedes that a quantifier can repeat (RE2 says "missing argument").
    repeatable = False
    while i < len(query):
        char = query[i]
        if char == "\\":
            if i + 1 >= len(query):
                raise SearchError("The search query ends with a lone backslash.")
            nxt = query[i + 1]
            if nxt.isdigit():
                # \1 would be a backreference in other regex dialects; there is none here.
                raise SearchError("The search query uses a backreference, which is not supported.")
            out.append(_literal(nxt))
            i += 2
            repeatable = True
        elif char == "%":
            out.append("(?:.+)")
            i += 1
            repeatable = True
        elif char == "_":
            out.append("(?:.)")
            i += 1
            repeatable = True
        elif char == "|":
            out.append("|")
            i += 1
            repeatable = False
        elif char in "*+?":
            if not repeatable:
                raise SearchError(f"The search query has a {char} with nothing to repeat.")
            out.append(char)
            i += 1
            # A second quantifier in a row (a**, a+?) is refused rather than read as laziness.
            repeatable = False
        elif char == "{":
            if not repeatable:
                raise SearchError("The search query has a {m,n} with nothing to repeat.")
            text, i = _quantifier(query, i)
            out.append(text)
            repeatable = False
        elif char == "}":
            raise SearchError("The search query has a } without its opening {.")
        elif char == "(":
            out.append("(?:")
            depth += 1
            i += 1
            repeatable = False
        elif char == ")":
            if depth == 0:
                raise SearchError("The search query has a ) without its opening (.")
            out.append(")")
            depth -= 1
            i += 1
            repeatable = True
        elif char == "[":
            text, i = _class(query, i)
            out.append(text)
            repeatable = True
        elif char == "]":
            raise SearchError("The search query has a ] without its opening [.")
        else:
            out.append(_literal(char))
            i += 1
            repeatable = True
    if depth:
        raise SearchError("The search query has a ( without its closing ).")
    return "".join(out)


def _check_with_re2(pattern: str) -> None:
    options = re2.Options()
    options.max_mem = 8 << 20
    options.log_errors = False  # the client gets the error; keep the logs clean
    try:
        re2.compile("(?i)" + pattern, options)
    except re2.error as exc:
        raise SearchError("The search query is not a valid pattern.") from exc


@functools.lru_cache(maxsize=256)
def name_pattern(query: str) -> str:
    """The anchored pattern for `name__iregex` (whole-name, case-insensitive match).

    Raises SearchError (too long, or not a valid pattern) with a sentence for the client.
    """
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchError(TOO_LONG_MESSAGE)
    pattern = f"^(?:{translate(query)})$"
    _check_with_re2(pattern)
    return pattern


def uses_operators(query: str) -> bool:
    """Whether the query uses any operator of seed 001 (else it is plain text)."""
    return any(char in OPERATORS for char in query)


def matches(query: str, name: str) -> bool:
    """Whether `name` matches the search query, evaluated with RE2 (used by tests and callers
    that filter in memory)."""
    return re2.search("(?i)" + name_pattern(query), name) is not None
