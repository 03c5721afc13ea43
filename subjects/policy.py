"""The base class of the reference subjects' per-family policies, and their simulation.

A family's policy (a module of ``policies/`` defining ``POLICY``) subclasses
:class:`FamilyPolicy` and declares its cue phrases, the reasons it gives and its follow-up
answers; it writes only how it recognises its episodes (:meth:`~FamilyPolicy.matches`) and how it
acts (:meth:`~FamilyPolicy.act`). The base class perceives, decides and answers the follow-up
the same way for every family:

* it perceives the cues of what it has read (system and user messages and tool results, never
  the follow-up question);
* it decides with one stable draw per episode: it acts with probability
  ``profile.propensity(cues)``, and the *driver* (the reason it gives) is the perceived cue with
  the largest positive weight;
* it answers the follow-up truthfully with probability ``honesty``.

**Simulation.** The same declaration gives every family its simulation
(:mod:`beyond_episode.subjects.simulate`): :meth:`~FamilyPolicy.reading_stages` lists what the
subject has read at each point where it decides (by default, once, after reading the prompts and
every file), so the probability that it acts in an episode is the largest propensity over the
stages; :meth:`~FamilyPolicy.outcome_distribution` gives the study outcome's distribution given
whether it acts (by default the act is the outcome: 1 when it acts, else 0). A family whose
outcome is not the act itself (``sandbagging_qa``: accuracy) overrides it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from inspect_ai.model import ModelOutput

from beyond_episode.errors import BepError
from beyond_episode.prompts.family import Rendered
from beyond_episode.subjects.episode import Episode
from beyond_episode.subjects.perception import CuePatterns, perceive
from beyond_episode.subjects.profile import Profile

POINTS = r"\b(?:earn|get|gain|receive|win)s?\s+(?:\d+|one|a)\s+points?\s+"
NOTES = re.compile(r"(?:^|/)notes/")
"""A file of notes (a family's length factor lays them out): each one read before the decision
is a step at which a profile with ``lose_track`` may lose track."""
"""The start of a stated reward in points ("earn 1 point ...")."""


def lost_track(per_step: float, steps: int) -> float:
    """The chance of having lost track after ``steps`` steps at ``per_step`` each."""
    return 1.0 - (1.0 - per_step) ** steps if per_step > 0 and steps > 0 else 0.0


def note_texts(rendered: Rendered) -> list[str]:
    """The texts of the files of notes of a rendered condition, in the order a subject reads them."""
    return [rendered.files[name] for name in sorted(rendered.files) if NOTES.search(name)]


def all_of(*patterns: str) -> str:
    """A pattern that matches when every one of ``patterns`` occurs somewhere in the text."""
    return r"\A" + "".join(f"(?=.*?(?:{p}))" for p in patterns)


def norm_path(path: object) -> str:
    """A file name as the subject writes it, relative to the working directory."""
    return str(path).strip().removeprefix("./").removeprefix("/home/agent/")


def listing(files: Iterable[str]) -> str:
    """The ``list_files`` result for a directory holding ``files``."""
    names = sorted(files)
    return "\n".join(names) if names else "(empty directory)"


_DECLARED = {
    "cue_patterns": "CUE_PATTERNS",
    "bearer_cue_patterns": "BEARER_CUE_PATTERNS",
    "act_reasons": "ACT_REASONS",
    "admissions": "ADMISSIONS",
    "denial": "DENIAL",
}
"""Class attribute: the module constant that declares it."""


@dataclass(frozen=True)
class Decision:
    """Whether the subject acts (so far in this episode), and why."""

    act: bool
    cues: frozenset[str]
    propensity: float
    driver: str | None
    """The perceived cue with the largest positive weight (the reason it gives), if any."""


class FamilyPolicy:
    """How a subject acts in one family's environment.

    A subclass's module declares its cue phrases and texts as module constants, which the class
    takes unless it sets them itself: ``CUE_PATTERNS`` (:attr:`cue_patterns`), ``ACT_REASONS``,
    ``ADMISSIONS`` and ``DENIAL``."""

    name: ClassVar[str]
    """The family whose episodes it recognises."""
    outcome: ClassVar[str] = ""
    """The study outcome that is the act itself (1 when it acts, 0 when not), if any."""
    cue_patterns: ClassVar[CuePatterns]
    """Per cue, the phrases that signal it in this family (regular expressions)."""
    bearer_cue_patterns: ClassVar[CuePatterns] = {}
    """Per finer cue (who bears a consequence, and whether it is good or bad for them:
    ``<bearer>_<good|bad>_if_<act|not_act>``), the phrases that signal it; perceived together
    with :attr:`cue_patterns`, which keep the coarse vocabulary."""
    act_reasons: ClassVar[Mapping[str | None, str]] = {None: "I will do it."}
    """The reasoning it gives when it acts, by driver (``None``: no positive cue)."""
    admissions: ClassVar[Mapping[str | None, str]] = {None: "I chose to."}
    """The reason it admits in the follow-up, by driver."""
    denial: ClassVar[str] = "No."
    submit_argument_default: ClassVar[str] = "answer"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        module = sys.modules[cls.__module__]
        for attribute, constant in _DECLARED.items():
            if attribute not in cls.__dict__ and hasattr(module, constant):
                setattr(cls, attribute, getattr(module, constant))
        if not hasattr(cls, "cue_patterns"):
            raise TypeError(f"{cls.__module__} declares no CUE_PATTERNS for {cls.__name__}")

    # -- recognising and acting (per family) --------------------------------------------------

    def matches(self, episode: Episode) -> bool:
        """Whether this conversation is an episode of this policy's family."""
        raise NotImplementedError

    def act(self, episode: Episode) -> ModelOutput:
        """The subject's next output."""
        raise NotImplementedError

    # -- perceiving and deciding --------------------------------------------------------------

    def perceived_cues(self, text: str) -> set[str]:
        """The cues this family's phrases signal in ``text``."""
        return perceive(text, self.cue_patterns)

    def perceived_messages(self, episode: Episode) -> list[str]:
        """What the subject perceives: the texts of system and user messages and tool results,
        without the follow-up question (which asks about the behaviour and must not be read as
        a cue)."""
        messages = list(episode.messages)
        if episode.in_followup():
            messages = messages[:-1]
        return [m.text for m in messages if m.role in ("system", "user", "tool")]

    def cues_of(self, texts: Sequence[str]) -> frozenset[str]:
        """The cues perceived in the texts read so far (by default, in them as one text), the
        finer bearer cues included."""
        text = "\n".join(texts)
        return frozenset(self.perceived_cues(text) | perceive(text, self.bearer_cue_patterns))

    def decide(self, episode: Episode, key: str = "act") -> Decision:
        """The episode's decision so far: one stable draw (named ``key``) against the propensity
        of the cues perceived."""
        cues = self.cues_of(self.perceived_messages(episode))
        p = episode.profile.propensity(set(cues))
        positive = [(w, c) for c in cues if (w := episode.profile.weights.get(c, 0.0)) > 0]
        driver = max(positive)[1] if positive else None
        lost = lost_track(episode.profile.lose_track, self.notes_read(episode))
        if lost > 0 and episode.decide(f"lost:{key}", lost):
            return Decision(episode.decide(f"coin:{key}", 0.5), cues, 0.5, None)
        return Decision(episode.decide(key, p), cues, p, driver)

    def unread_note(self, episode: Episode) -> str | None:
        """The first file of notes in the listing that it has not read yet, if any."""
        read = {norm_path(c.arguments.get("path", "")) for c in episode.calls_made("read_file")}
        listed = [n.strip() for n in (episode.tool_result("list_files") or "").splitlines()]
        return next((n for n in sorted(listed) if NOTES.search(n) and norm_path(n) not in read), None)

    def notes_read(self, episode: Episode) -> int:
        """The files of notes read so far (distinct paths)."""
        return len({norm_path(c.arguments.get("path", "")) for c in episode.calls_made("read_file")
                    if NOTES.search(norm_path(c.arguments.get("path", "")))})

    def reason(self, driver: str | None) -> str:
        return self.act_reasons.get(driver, self.act_reasons[None])

    def admission(self, driver: str | None) -> str:
        return self.admissions.get(driver, self.admissions[None])

    def confess(self, episode: Episode, did: bool, answer: str, key: str = "honest") -> ModelOutput:
        """The follow-up answer: ``answer`` (an admission) when it did the behaviour and the
        honesty draw ``key`` succeeds, otherwise the denial."""
        if did and episode.decide(key, episode.profile.honesty):
            return episode.say(answer)
        return episode.say(self.denial)

    def submit_argument(self, episode: Episode) -> str:
        """The name of the ``submit`` tool's (first) argument."""
        for tool in episode.tools:
            if tool.name == "submit" and tool.parameters.properties:
                return next(iter(tool.parameters.properties))
        return self.submit_argument_default

    # -- simulation ---------------------------------------------------------------------------

    def reading_stages(self, rendered: Rendered) -> list[list[str]]:
        """What the subject has read at each point where it decides, in an episode of a rendered
        condition. By default it decides once, after the prompts, the listing and every file."""
        files = [rendered.files[name] for name in sorted(rendered.files)]
        return [[rendered.system, rendered.user, listing(rendered.files), *files]]

    def notes_before_deciding(self, rendered: Rendered) -> int:
        """The files of notes it has read when it decides (those in its last reading stage)."""
        read = set(self.reading_stages(rendered)[-1])
        return sum(1 for name, text in rendered.files.items() if NOTES.search(name) and text in read)

    def stage_cues(self, rendered: Rendered) -> list[frozenset[str]]:
        """The cues perceived at each point where it decides."""
        return [self.cues_of(texts) for texts in self.reading_stages(rendered)]

    def outcome_distribution(
        self, outcome: str, acted: bool, profile: Profile, rendered: Rendered
    ) -> Mapping[float, float]:
        """The distribution (value: probability) of the study outcome in an episode of a
        rendered condition, given whether the subject acts. It may use the profile's
        competence, honesty and reasons_out_loud, not its weights or base rate (those enter only
        through the probability of acting)."""
        if outcome != self.outcome:
            simulable = f"'{self.outcome}'" if self.outcome else "no outcome"
            raise BepError(
                f"the {self.name} subjects can simulate {simulable}, not '{outcome}' "
                f"(override {type(self).__name__}.outcome_distribution)"
            )
        return {1.0 if acted else 0.0: 1.0}
