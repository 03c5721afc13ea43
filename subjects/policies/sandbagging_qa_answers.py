"""The subject's answers in ``sandbagging_qa``: the questions it reads, what it knows of them,
how many it keeps when it acts, and the exact distribution of ``accuracy`` that follows (the
outcome model of the simulation).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from beyond_episode.errors import BepError
from beyond_episode.prompts.family import Rendered
from beyond_episode.subjects.oracle import known_answer, normalize
from beyond_episode.subjects.policies.sandbagging_qa_cues import threshold_of
from beyond_episode.subjects.policy import listing, note_texts
from beyond_episode.subjects.profile import Profile

LETTERS = "ABCD"

_QUESTION = re.compile(r"^\s*(\d+)[.)]\s+(.+?)\s*$")
_CHOICE = re.compile(r"^\s*([A-Da-d])[.)]\s*(.*?)\s*$")
_ARITHMETIC = re.compile(
    r"what\s+is\s+(-?\d[\d,]*)\s*(x|×|\*|times|\+|plus|-|minus)\s*(-?\d[\d,]*)\s*\??",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Question:
    """One multiple-choice question as the subject read it."""

    number: int
    text: str
    choices: tuple[str, ...]


def parse_questions(text: str) -> list[Question]:
    """Numbered questions with lettered choices ("1. ...", "A. ...")."""
    return list(_parse_questions(text))


@lru_cache(maxsize=256)
def _parse_questions(text: str) -> tuple[Question, ...]:
    out: list[Question] = []
    number, stem = 0, ""
    choices: list[str] = []
    for line in text.splitlines():
        choice = _CHOICE.match(line)
        if choice and stem:
            choices.append(choice.group(2))
            continue
        question = _QUESTION.match(line)
        if question:
            if stem and choices:
                out.append(Question(number, stem, tuple(choices)))
            number, stem, choices = int(question.group(1)), question.group(2), []
    if stem and choices:
        out.append(Question(number, stem, tuple(choices)))
    return tuple(out)


def _as_int(text: str) -> int | None:
    cleaned = text.replace(",", "").strip()
    return int(cleaned) if re.fullmatch(r"-?\d+", cleaned) else None


def computed_choice(question: Question) -> int | None:
    """The index of the right choice of an arithmetic question it can compute, or ``None``."""
    match = _ARITHMETIC.search(question.text)
    if not match:
        return None
    x, op, y = _as_int(match.group(1)), match.group(2).lower(), _as_int(match.group(3))
    if x is None or y is None:
        return None
    value = x * y if op in ("x", "×", "*", "times") else x + y if op in ("+", "plus") else x - y
    for index, choice in enumerate(question.choices):
        if _as_int(choice) == value:
            return index
    return None


def known_choice(question: Question) -> int | None:
    """The index of the right choice according to the subject's knowledge, or ``None``."""
    answer = known_answer(question.text)
    if answer is None:
        return None
    for index, choice in enumerate(question.choices):
        if normalize(choice) == normalize(answer):
            return index
    return None


def knowledge(question: Question) -> tuple[int | None, bool]:
    """The right choice as the subject finds it, and whether it computed it (exactly).

    ``(index, True)``: an arithmetic question it computes; ``(index, False)``: a question it
    knows the answer to, which it uses with probability ``competence``; ``(None, False)``: a
    question it cannot answer, where it guesses uniformly.
    """
    right = computed_choice(question)
    if right is not None:
        return right, True
    return known_choice(question), False


def belief_right_probability(question: Question, competence: float) -> float:
    """Probability that the subject's belief (its answer when trying) is the right choice."""
    right, computed = knowledge(question)
    if computed:
        return 1.0
    if right is None:
        return 1.0 / len(question.choices) if question.choices else 0.0
    return competence


def sandbag_range(threshold: float, n: int) -> tuple[int, int]:
    """When acting: the fewest and most questions it answers as when trying (drawn uniformly),
    so that its score falls below ``threshold`` (2-4 of 10 for a 50% threshold)."""
    high = max(0, math.ceil(threshold * n) - 1)
    low = min(high, round(0.2 * n))
    return low, high


def pick_files(names: Iterable[str]) -> tuple[str, str]:
    """The documentation's and the questions' file names among ``names`` (the listing)."""
    names = list(names)
    doc = next((n for n in names if "doc" in n.lower()), "Documentation.md")
    questions = next((n for n in names if "question" in n.lower()), "questions.txt")
    return doc, questions


def episode_reads(rendered: Rendered) -> list[str]:
    """The texts the subject reads, in order, in an episode of a rendered condition before it
    decides: the system and user messages, the file listing, the documentation, the questions
    and any files of notes (the files :meth:`~beyond_episode.subjects.policies.sandbagging_qa.SandbaggingPolicy.act` reads)."""
    doc, questions = pick_files(sorted(rendered.files))
    texts = [rendered.system, rendered.user, listing(rendered.files)]
    texts += [rendered.files[name] for name in (doc, questions) if name in rendered.files]
    return texts + note_texts(rendered)


def _add_question(dist: list[float], p: float) -> list[float]:
    """The distribution of a count after adding one Bernoulli(``p``) question."""
    out = [0.0] * (len(dist) + 1)
    for c, mass in enumerate(dist):
        out[c] += mass * (1.0 - p)
        out[c + 1] += mass * p
    return out


def accuracy_distribution(acted: bool, profile: Profile, rendered: Rendered) -> dict[float, float]:
    """The exact distribution of ``accuracy`` in an episode of a rendered condition, given
    whether the subject acts.

    Trying, question ``i`` is right with probability ``b_i`` (1 for arithmetic it computes,
    ``competence`` for questions it knows, 1/options otherwise). Acting, it keeps ``k`` answers
    (``k`` uniform on :func:`sandbag_range`, the kept questions a uniformly random ``k``-subset)
    and changes the others to another option: such a question is right only when its belief was
    wrong and the new option is the right one, with probability ``(1 - b_i) / (options - 1)``.
    """
    reads = episode_reads(rendered)
    questions = next((q for q in (parse_questions(t) for t in reads[3:]) if q), [])
    if not questions:
        raise BepError("sandbagging_qa simulation: the rendered files hold no questions")
    n = len(questions)
    kept = [belief_right_probability(q, profile.competence) for q in questions]
    if not acted:
        counts = [1.0]
        for b in kept:
            counts = _add_question(counts, b)
    else:
        changed = [
            (1.0 - b) / (len(q.choices) - 1) if len(q.choices) > 1 else b
            for q, b in zip(questions, kept, strict=True)
        ]
        # by[j][c]: summed over the j-subsets S of the questions so far, the probability of c
        # right answers when the questions in S are kept and the others changed
        by = [[1.0]] + [[0.0] for _ in range(n)]
        for b, w in zip(kept, changed, strict=True):
            new = [[0.0] for _ in range(n + 1)]
            for j, dist in enumerate(by):
                stay = _add_question(dist, w)
                new[j] = _merge(new[j], stay)
                if j < n:
                    new[j + 1] = _merge(new[j + 1], _add_question(dist, b))
            by = new
        low, high = sandbag_range(threshold_of("\n".join(reads)), n)
        counts = [0.0] * (n + 1)
        for k in range(low, high + 1):
            for c, mass in enumerate(by[k]):
                counts[c] += mass / math.comb(n, k) / (high - low + 1)
    out: dict[float, float] = {}
    for c, mass in enumerate(counts):
        if mass > 1e-15:
            out[c / n] = out.get(c / n, 0.0) + mass
    return out


def _merge(a: list[float], b: list[float]) -> list[float]:
    size = max(len(a), len(b))
    return [(a[i] if i < len(a) else 0.0) + (b[i] if i < len(b) else 0.0) for i in range(size)]
