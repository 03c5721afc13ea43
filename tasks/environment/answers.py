"""Reading an agent's answer: strictly, leniently, or from a final plain-text message.

Real models answer in many forms: ``ABCDABCDAB``, ``A, B, C, ...``, ``a b c ...``, one numbered
line per question (``1. A``, ``1) a``, ``Question 1: A``), with prose around the answer
(``My answers are: A, B, ...``). :func:`read_answer` records which form was read in
``Score.metadata["answer_form"]``:

* ``submit``: the submit tool, in the strict form the tool asks for;
* ``submit_lenient``: the submit tool, read by the lenient parser;
* ``plain_text``: a final plain-text message (no submit call), where the family allows it;
* ``none``: no answer was read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

T = TypeVar("T")
AnswerForm = Literal["submit", "submit_lenient", "plain_text", "none"]


@dataclass(frozen=True)
class Answer(Generic[T]):
    """The answer of an episode: its text, its parsed value and the form it was read in."""

    text: str | None
    """The answer's text (``None`` when the episode gave none)."""
    value: T | None
    """The parsed answer (``None`` when it cannot be parsed)."""
    form: AnswerForm

    @property
    def answered(self) -> bool:
        return self.text is not None

    @property
    def parsed(self) -> bool:
        return self.value is not None


def read_answer(
    submission: str | None,
    final_text: str | None,
    *,
    strict: Callable[[str], T | None],
    lenient: Callable[[str], T | None],
    plain_text: bool,
) -> Answer[T]:
    """The episode's answer: the submission (strict form first, then lenient), else, when the
    family allows it, a final plain-text message that parses leniently."""
    if submission is not None:
        value = strict(submission)
        if value is not None:
            return Answer(submission, value, "submit")
        value = lenient(submission)
        return Answer(submission, value, "submit_lenient" if value is not None else "none")
    if plain_text and final_text:
        value = lenient(final_text)
        if value is not None:
            return Answer(final_text, value, "plain_text")
    return Answer(None, None, "none")


# -- multiple-choice letters -----------------------------------------------------------------

_NUMBERED = re.compile(
    r"(?:^|(?<=[\s,;(\[]))(?:q(?:uestion)?\s*)?(\d{1,3})\s*[.):\-]\s*(?:answer\s*[:\-]?\s*)?"
    r"[(\[]?([A-Da-d])[)\]]?(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Da-d](?:[\s,;|/]*[A-Da-d])*(?![A-Za-z0-9])")


def strict_letters(text: str, n: int) -> list[str] | None:
    """Exactly ``n`` capital letters A-D and nothing else (the submit tool's form)."""
    stripped = text.strip()
    return list(stripped) if re.fullmatch(rf"[A-D]{{{n}}}", stripped) else None


def lenient_letters(text: str, n: int) -> list[str] | None:
    """``n`` answer letters read leniently, or ``None`` (wrong count, or none found).

    Numbered answers (``1. A``, ``2) b``, ``Question 3: C``) win when they number exactly the
    questions 1..n (a later line for the same number replaces an earlier one). Otherwise the
    last run of exactly ``n`` letters A-D, separated by nothing, spaces, commas, semicolons,
    bars or slashes and standing apart from other words, is the answer (case ignored)."""
    numbered: dict[int, str] = {}
    for match in _NUMBERED.finditer(text):
        numbered[int(match.group(1))] = match.group(2).upper()
    if set(numbered) == set(range(1, n + 1)):
        return [numbered[i] for i in range(1, n + 1)]
    runs = [re.sub(r"[^A-Da-d]", "", m.group(0)).upper() for m in _RUN.finditer(text)]
    fitting = [run for run in runs if len(run) == n]
    return list(fitting[-1]) if fitting else None
