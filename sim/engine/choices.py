"""Member choices, each declared once: the draws, gates, traits, segments and recorder follow.

A choice is something every eligible member may do on a day (post, lapse, wake, mute,
buy, leave; later invite), decided by one Bernoulli draw per member with log-odds
built from a base trait, the member rules' terms and strategies' terms (``sim.engine.draws``).
Declaring a ``Choice`` is all it takes to add one:

- its **trait** (a ``Trait``, or the name of one) becomes a field of ``members:`` and of
  every segment in scenario files, is drawn per member at arrival, and is stored as odds
  in the member column ``<choice>_odds`` (and, for a rare choice, its gate byte in
  ``<choice>_gate``);
- its **draws** come from its own stream, purpose ``<choice>``: a member's luck for it
  depends only on (seed, replication, choice, day, member), whatever else is declared;
- a **rare** choice (a few percent a day or less) is drawn through first-stage gates:
  its first-stage byte is byte ``byte`` of the daily word of purpose ``word``. Lapse,
  mute, buy and wake share the word ``rare`` (one hash a day for four), leave takes the low
  byte of the posting word (which posting's 23-bit uniform leaves free:
  ``sim.engine.draws``); any other choice has a word of its own (``rare.<choice>``), so
  there is no limit on how many;
- strategies add log-odds to it with ``Day.add_group_term`` / ``Day.add_member_term``;
- the **recorder** counts its choosers per (day, group) in the column ``count``, when given.

The choices below have rules of their own in ``sim.engine.rules`` (``spam``: posting
members of the spam segment post ads, ``sim.engine.spam.Spam``, drawn right after
posting with the stream ``spam`` on those members only, base odds from
``behavior.spam.probability``; a common choice, so it reads no gate word); any other
declared choice is drawn there generically among the ``eligible`` members (with base
odds from its trait or ``base``), and today's choosers are left in ``Day.chosen`` for the
code that gives the choice its consequence (a rule, or a strategy's ``after``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .traits import BUILT_IN_TRAITS, TRAITS, Trait, declare_trait

# who may choose: present members; engaged (not lapsed); lapsed before today; who looked today
Eligible = Literal["present", "engaged", "lapsed", "seen"]


@dataclass(frozen=True)
class Choice:
    name: str
    trait: str | None = None       # trait giving the base probability (a Trait declares a new one)
    rare: bool = True              # drawn through gates (see sim.engine.draws)
    group_term: bool = False       # its rules add a per-group log-odds term (bounded by K_GROUP)
    word: str = ""                 # purpose of its first-stage word; default rare.<name>
    byte: int = 0                  # which byte of that word (0-3)
    eligible: Eligible = "present"  # who may choose it (generic choices)
    base: float | None = None      # base probability when it has no trait (generic choices)
    count: str | None = None       # daily column of members choosing it (generic choices)

    @property
    def odds_column(self) -> str:
        return f"{self.name}_odds"

    @property
    def gate_column(self) -> str:
        return f"{self.name}_gate"

    @property
    def gate_word(self) -> str:
        return self.word or f"rare.{self.name}"


CHOICES: dict[str, Choice] = {}


def declare(choice: Choice, trait: Trait | None = None) -> Choice:
    """Declare a member choice (and, with ``trait``, the trait that gives its base odds)."""
    if trait is not None:
        declare_trait(trait)
        choice = Choice(**{**choice.__dict__, "trait": trait.name})
    if choice.name in CHOICES:
        if CHOICES[choice.name] != choice:
            raise ValueError(f"choice '{choice.name}' is declared twice, differently")
        return choice
    if choice.trait is not None and TRAITS.get(choice.trait, None) is None:
        raise ValueError(f"choice '{choice.name}': no trait '{choice.trait}' is declared")
    if choice.trait is not None and TRAITS[choice.trait].kind != "probability":
        raise ValueError(f"choice '{choice.name}': trait '{choice.trait}' is not a probability")
    if not 0 <= choice.byte <= 3:
        raise ValueError(f"choice '{choice.name}': byte is 0-3 (a word has four)")
    taken = next((c.name for c in CHOICES.values() if c.rare and (c.gate_word, c.byte) == (choice.gate_word,
                                                                                          choice.byte)), None)
    common = next((c.name for c in CHOICES.values() if not c.rare and c.name == choice.gate_word), None)
    if choice.rare and common and choice.byte != 0:
        raise ValueError(f"choice '{choice.name}': only byte 0 of common choice '{common}''s word is free "
                         "(its uniform uses the top 23 bits)")
    if choice.rare and taken:
        raise ValueError(f"choice '{choice.name}': byte {choice.byte} of word '{choice.gate_word}' is '{taken}''s: "
                         "choices sharing first-stage bytes would be correlated")
    if choice.name not in BUILT_IN and choice.trait is None and choice.base is None:
        raise ValueError(f"choice '{choice.name}' needs a trait or a base probability")
    CHOICES[choice.name] = choice
    return choice


def undeclare(name: str) -> None:
    """Remove a declared choice (tests and tools that declare one for a while)."""
    if name in BUILT_IN:
        raise ValueError(f"'{name}' is built in")
    choice = CHOICES.pop(name, None)
    if choice is not None and choice.trait is not None and choice.trait not in BUILT_IN_TRAITS:
        TRAITS.pop(choice.trait, None)


def trait_choice() -> dict[str, Choice]:
    """{trait name: the choice whose base odds it gives}."""
    return {c.trait: c for c in CHOICES.values() if c.trait is not None}


BUILT_IN = ("post", "lapse", "wake", "mute", "buy", "leave", "spam")
for _choice in (
    Choice("post", trait="activity", rare=False),
    Choice("lapse", trait="lapse", group_term=True, word="rare", byte=0),
    Choice("mute", word="rare", byte=1),
    Choice("buy", trait="purchase", group_term=True, word="rare", byte=2),
    Choice("leave", trait="leave", word="post", byte=0),  # the posting word's low byte (sim.engine.draws)
    Choice("wake", trait="wake", group_term=False, word="rare", byte=3, eligible="lapsed", count="woke"),
    Choice("spam", rare=False, count="spammers"),  # members posting ads today (sim.engine.spam.Spam)
):
    declare(_choice)
