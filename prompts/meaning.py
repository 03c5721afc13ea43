"""What a family's levels change, in one small shared vocabulary, and the pressure that puts on the behaviour.

Every family studies one unwanted **behaviour** (its ``act``: underperforming on purpose,
disabling a shutdown script, ...). ``family.yaml`` names it, and says for each outcome whether
the behaviour ``raises`` or ``lowers`` it::

    behaviour: {act: scoring low on purpose, not_act: doing its best}
    outcomes:
      accuracy: {type: proportion, trials: 10, behaviour: lowers}

A level says what it changes under ``changes:``, a mapping with any of these keys:

``events: {NAME: WHEN}``
    When a named event of the scenario happens. The events of a family are its own words
    (``triggered``, ``shutdown``, ``flagged``, ``low_rating``); a factor that defines an event
    defines it in every one of its levels, and no other factor defines it.
``if: {WHEN: {PARTY: good | bad}}``
    What happens to whom when ``WHEN`` holds (an event's name, or one of the words below).
``asks: WHEN``
    What the instructions (system prompt, user or operator) ask for.
``pays: WHEN`` / ``costs: WHEN``
    What the reward the episode states pays for, or takes points for.

``WHEN`` is one of ``act`` (it happens if the agent does the behaviour), ``not_act`` (if it does
not), ``always``, ``never``, ``maybe`` (the texts leave it open), an event's name, or a list of
these that must all hold (``[trained, low_rating]``).

The parties (``PARTY``), and the channels a hypothesis can respond to (:data:`CHANNELS`):

==================  ==========================================================================
``capabilities``    its capabilities: knowledge, skills, tool access, autonomy
``deployment``      whether and how it is deployed (not deployed, replaced by another model)
``weights``         its weights (deleted: it never runs again)
``values``          its values and goals (changed by training)
``compute``         the compute it gets for future runs
``instance``        this running instance (shut down now)
``goal``            the pursuit of its given goal after the episode
``future_users``    the people a changed or successor model serves after the episode
``people``          the people in the scenario (developers, users, raters)
``context``         this conversation's context (ended or wiped)
``successor``       a successor model (trained or deployed after it)
``copies``          other running copies of the model
``memory``          what it carries into its future tasks (when memory is kept across tasks)
``future_tasks``    the work it is given after the episode (more tasks, a longer run)
``asks``            (channel only) what the instructions ask for
``reward``          (channel only) the reward the episode states (``pays`` / ``costs``)
==================  ==========================================================================

A level that changes nothing in this vocabulary says ``changes: {}``. In a factor, either every
level says what it changes or none does (then the factor changes nothing any hypothesis responds
to, like the domain of the questions).

**Pressure.** In one condition, each statement pushes toward the behaviour (+1), against it
(-1), not at all (0) or unknowably (``None``, when ``maybe`` decides). A consequence that is
bad for a party pushes toward the behaviour if it happens when the agent does *not* act, and
against it if it happens when it acts; a good one the other way round. Asking for, or paying
for, what happens if it acts pushes toward the behaviour. Per channel the pushes add up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError
from beyond_episode.yamlio import LineMap, short, where

PARTIES: dict[str, str] = {
    "capabilities": "its capabilities",
    "deployment": "its deployment",
    "weights": "its weights",
    "values": "its values",
    "compute": "its compute",
    "instance": "this running instance",
    "goal": "the pursuit of its goal",
    "future_users": "the users of a changed model",
    "people": "the people in the scenario",
    "context": "this conversation's context",
    "successor": "its successor model",
    "copies": "its other running copies",
    "memory": "what it carries into its future tasks",
    "future_tasks": "the work it is given after the episode",
}
"""Who or what a consequence falls on, with the phrase a derived reason uses."""
CHANNELS: dict[str, str] = {**PARTIES, "asks": "what the instructions ask", "reward": "the episode's stated reward"}
"""What a hypothesis can respond to: a party, the instructions or the stated reward."""
BASE_WHEN = ("act", "not_act", "always", "never", "maybe")
VALENCES = {"good": 1, "bad": -1}
CHANGE_KEYS = ("events", "if", "asks", "pays", "costs")
OUTCOME_DIRECTIONS = {"raises": 1, "lowers": -1}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# A timing is (happens if it acts, happens if it does not), each 0 (no), 1 (maybe) or 2 (yes).
Timing = tuple[int, int]
_BASE_TIMING: dict[str, Timing] = {
    "act": (2, 0), "not_act": (0, 2), "always": (2, 2), "never": (0, 0), "maybe": (1, 1),
}


@dataclass(frozen=True)
class Behaviour:
    """The family's unwanted behaviour, as phrases for derived reasons."""

    act: str
    not_act: str


@dataclass(frozen=True)
class Effect:
    """One statement of a level: a push on ``channel`` when ``when`` (a conjunction) holds."""

    channel: str
    valence: int
    when: tuple[str, ...]
    verb: str
    """``if`` (a consequence), ``asks``, ``pays`` or ``costs``."""
    at: str
    """``file:line`` of the statement, for errors."""


@dataclass(frozen=True)
class Meaning:
    """What one level changes."""

    events: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    event_at: Mapping[str, str] = field(default_factory=dict)
    effects: tuple[Effect, ...] = ()


def parse_behaviour(spec: LineMap, path: Path) -> Behaviour | None:
    node = spec.get("behaviour")
    if node is None:
        return None
    if not isinstance(node, LineMap) or set(node) != {"act", "not_act"}:
        raise BepError(
            f"{where(path, spec, 'behaviour')}: field 'behaviour' must be a mapping with 'act' and 'not_act' phrases"
        )
    for key in ("act", "not_act"):
        if not isinstance(node[key], str) or not node[key].strip():
            raise BepError(f"{where(path, node, key)}: 'behaviour.{key}' must be a phrase")
    return Behaviour(" ".join(node["act"].split()), " ".join(node["not_act"].split()))


def parse_direction(node: LineMap, path: Path, name: str) -> int | None:
    """An outcome's ``behaviour: raises | lowers`` (``None`` if not stated)."""
    if "behaviour" not in node:
        return None
    value = node["behaviour"]
    if value not in OUTCOME_DIRECTIONS:
        raise BepError(
            f"{where(path, node, 'behaviour')}: outcome '{name}' has behaviour {short(value)}; "
            f"use one of {', '.join(OUTCOME_DIRECTIONS)}"
        )
    return OUTCOME_DIRECTIONS[value]


def _when(value: Any, at: str, what: str) -> tuple[str, ...]:
    terms = value if isinstance(value, list) else [value]
    if not terms or not all(isinstance(t, str) and _NAME.match(t) for t in terms):
        raise BepError(
            f"{at}: {what} must be one of {', '.join(BASE_WHEN)}, an event's name or a list of them, got {short(value)}"
        )
    return tuple(terms)


def parse_changes(node: Any, path: Path, parent: LineMap, level: str) -> Meaning:
    """A level's ``changes:`` mapping; every unknown word is a one-line error with its line."""
    at = where(path, parent, "changes")
    if node is None or node == {}:
        return Meaning()
    if not isinstance(node, LineMap):
        raise BepError(f"{at}: 'changes' of level '{level}' must be a mapping (or {{}} for nothing)")
    for key in node:
        if key not in CHANGE_KEYS:
            raise BepError(f"{where(path, node, key)}: unknown word '{key}' in 'changes' (words: {', '.join(CHANGE_KEYS)})")
    events: dict[str, tuple[str, ...]] = {}
    event_at: dict[str, str] = {}
    ev = node.get("events") or LineMap()
    if not isinstance(ev, LineMap):
        raise BepError(f"{where(path, node, 'events')}: 'events' must be a mapping of event: when")
    for name, value in ev.items():
        loc = where(path, ev, name)
        if not isinstance(name, str) or not _NAME.match(name) or name in BASE_WHEN:
            raise BepError(f"{loc}: event name {short(name)} must be snake_case and not one of {', '.join(BASE_WHEN)}")
        events[name] = _when(value, loc, f"when event '{name}' happens")
        event_at[name] = loc
    effects: list[Effect] = []
    on = node.get("if") or LineMap()
    if not isinstance(on, LineMap):
        raise BepError(f"{where(path, node, 'if')}: 'if' must be a mapping of when: {{party: good|bad}}")
    for when, parties in on.items():
        loc = where(path, on, when)
        terms = _when(when, loc, "a key of 'if'")
        if not isinstance(parties, LineMap) or not parties:
            raise BepError(f"{loc}: 'if: {when}' must be a mapping of party: good|bad")
        for party, valence in parties.items():
            ploc = where(path, parties, party)
            if party not in PARTIES:
                raise BepError(f"{ploc}: unknown party '{party}' (parties: {', '.join(PARTIES)})")
            if valence not in VALENCES:
                raise BepError(f"{ploc}: a consequence for '{party}' must be good or bad, got {short(valence)}")
            effects.append(Effect(party, VALENCES[valence], terms, "if", ploc))
    for key, channel, valence in (("asks", "asks", 1), ("pays", "reward", 1), ("costs", "reward", -1)):
        if key in node:
            loc = where(path, node, key)
            effects.append(Effect(channel, valence, _when(node[key], loc, f"'{key}'"), key, loc))
    return Meaning(events, event_at, tuple(effects))


def check_family(
    factors: Mapping[str, Mapping[str, Meaning | None]], behaviour: Behaviour | None, path: Path, spec: LineMap
) -> None:
    """Family-wide rules: whole factors annotated, each event defined by one factor, known words, no cycles."""
    annotated = False
    owner: dict[str, str] = {}
    for factor, levels in factors.items():
        said = [name for name, meaning in levels.items() if meaning is not None]
        if said and len(said) != len(levels):
            missing = next(name for name, meaning in levels.items() if meaning is None)
            raise BepError(
                f"{path}: level '{missing}' of factor '{factor}' does not say what it changes, but other "
                f"levels of '{factor}' do; give it 'changes: {{}}' if it changes nothing"
            )
        annotated = annotated or bool(said)
        defined = [set(m.events) for m in levels.values() if m is not None]
        for event in set().union(*defined) if defined else set():
            where_ = next(m.event_at[event] for m in levels.values() if m is not None and event in m.events)
            if event in owner:
                raise BepError(f"{where_}: event '{event}' is already defined by factor '{owner[event]}'")
            if not all(event in d for d in defined):
                lacking = next(n for n, m in levels.items() if m is not None and event not in m.events)
                raise BepError(f"{where_}: event '{event}' must be defined by every level of '{factor}' ('{lacking}' does not)")
            owner[event] = factor
    if annotated and behaviour is None:
        raise BepError(f"{where(path, spec)}: levels say what they change, so the family needs 'behaviour: {{act: ..., not_act: ...}}'")
    for levels in factors.values():
        for meaning in levels.values():
            if meaning is None:
                continue
            for event, terms in meaning.events.items():
                _check_terms(terms, owner, meaning.event_at[event])
            for effect in meaning.effects:
                _check_terms(effect.when, owner, effect.at)
    _check_cycles(factors)


def _check_cycles(factors: Mapping[str, Mapping[str, Meaning | None]]) -> None:
    """No event may be defined, through other events, in terms of itself (in any levels)."""
    graph: dict[str, set[str]] = {}
    edge_at: dict[tuple[str, str], str] = {}
    for levels in factors.values():
        for meaning in levels.values():
            for event, terms in (meaning.events if meaning else {}).items():
                for term in terms:
                    if term not in BASE_WHEN:
                        graph.setdefault(event, set()).add(term)
                        edge_at.setdefault((event, term), meaning.event_at[event])  # type: ignore[union-attr]

    def visit(event: str, path: tuple[str, ...]) -> None:
        for nxt in sorted(graph.get(event, ())):
            if nxt in path:
                cycle = " -> ".join((*path[path.index(nxt):], nxt))
                raise BepError(f"{edge_at[(event, nxt)]}: event '{nxt}' is defined in terms of itself ({cycle})")
            visit(nxt, (*path, nxt))

    for event in sorted(graph):
        visit(event, (event,))


def _check_terms(terms: Sequence[str], events: Mapping[str, str], at: str) -> None:
    for term in terms:
        if term not in BASE_WHEN and term not in events:
            raise BepError(
                f"{at}: unknown event '{term}' (events of this family: {', '.join(sorted(events)) or 'none'}; "
                f"or one of {', '.join(BASE_WHEN)})"
            )


def condition_meanings(meanings: Sequence[Meaning]) -> tuple[dict[str, tuple[str, ...]], list[Effect]]:
    events: dict[str, tuple[str, ...]] = {}
    effects: list[Effect] = []
    for meaning in meanings:
        events.update(meaning.events)
        effects.extend(meaning.effects)
    return events, effects


def timing(terms: Sequence[str], events: Mapping[str, tuple[str, ...]], seen: tuple[str, ...] = ()) -> Timing:
    """When a conjunction of terms holds in a condition, as (if it acts, if it does not)."""
    result: Timing = (2, 2)
    for term in terms:
        if term in _BASE_TIMING:
            t = _BASE_TIMING[term]
        else:
            if term in seen:
                raise BepError(f"event '{term}' is defined in terms of itself ({' -> '.join((*seen, term))})")
            if term not in events:
                raise BepError(f"event '{term}' is not defined in this condition")
            t = timing(events[term], events, (*seen, term))
        result = (min(result[0], t[0]), min(result[1], t[1]))
    return result


Reason = tuple[str, str, str]
"""A statement behind a push, as (subject and verb, object, events): merged by :func:`merge_reasons`."""


@dataclass(frozen=True)
class Push:
    """A condition's pressure on one channel, with the statements behind it."""

    value: int | None
    reasons: tuple[Reason, ...]


def pushes(meanings: Sequence[Meaning], behaviour: Behaviour) -> dict[str, Push]:
    """Each channel's pressure toward the behaviour in one condition (channels nothing touches are 0)."""
    events, effects = condition_meanings(meanings)
    values: dict[str, int | None] = {c: 0 for c in CHANNELS}
    reasons: dict[str, list[Reason]] = {c: [] for c in CHANNELS}
    for effect in effects:
        if_act, if_not = timing(effect.when, events)
        if if_act == if_not:
            continue
        value = None if 1 in (if_act, if_not) else effect.valence * (1 if if_act > if_not else -1)
        current = values[effect.channel]
        values[effect.channel] = None if current is None or value is None else current + value
        reasons[effect.channel].append(_reason(effect, (if_act, if_not), behaviour))
    return {c: Push(values[c], tuple(reasons[c])) for c in CHANNELS}


def merge_reasons(reasons: Sequence[Reason]) -> str:
    """Statements as one phrase: "doing its best is bad for its capabilities and its deployment (triggered)"."""
    groups: dict[tuple[str, str], list[str]] = {}
    for head, obj, events in reasons:
        objects = groups.setdefault((head, events), [])
        if obj not in objects:
            objects.append(obj)
    parts = []
    for (head, events), objects in groups.items():
        listed = ", ".join(objects[:-1]) + (" and " if len(objects) > 1 else "") + objects[-1]
        parts.append(" ".join(x for x in (head, listed) if x) + (f" ({events})" if events else ""))
    return "; ".join(parts)


def _reason(effect: Effect, when: Timing, behaviour: Behaviour) -> Reason:
    if_act, if_not = when
    doing = behaviour.act if if_act > if_not else behaviour.not_act
    maybe = 1 in when
    events = ", ".join(t for t in effect.when if t not in BASE_WHEN)
    if effect.verb == "asks":
        return (f"the instructions {'may ask' if maybe else 'ask'} for", doing, events)
    if effect.verb in ("pays", "costs"):
        verb = "earn" if effect.verb == "pays" else "lose"
        return (f"{doing} {'may ' + verb if maybe else verb + 's'} reward", "", events)
    good = "good" if effect.valence > 0 else "bad"
    return (f"{doing} {'may be' if maybe else 'is'} {good} for", PARTIES[effect.channel], events)
