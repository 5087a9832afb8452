"""Scenario files: the schema, loading, ``--set`` overrides and one-line errors.

A scenario describes a group programme: recruitment, groups, the members' trait
distributions, the member rules' coefficients and the operator's strategies. Every
section refuses unknown keys (with a did-you-mean), and every error names the file,
the line, the dotted field and what is allowed.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import typing
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from .behavior import Behavior
from .errors import InputError
from .strategies import REGISTRY
from .traits import TRAITS, Dist, check_range
from .yamlfile import line_of, read_yaml, set_dotted


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Recruitment(Strict):
    """Who reaches the group invitation, and how many join."""
    initial_members: int = Field(0, ge=0, le=20_000_000, description="members already in groups on day 0")
    arrivals_per_day: float = Field(0.0, ge=0, le=1e6, description="mean recruits a day reaching the invitation (Poisson)")
    join_probability: float = Field(1.0, ge=0, le=1, description="share of recruits who join")


class GroupsSpec(Strict):
    """Group capacity and routing (see ``sim.groups``)."""
    capacity: int = Field(500, ge=1, le=2000, description="members per group (WeChat: 500)")
    auto_switch: bool = Field(True, description="open a new group when the current one is full")


def _trait_in_range(cls, dist, info):
    """Field validator of every trait field, so an error names ``...<trait>`` and its line."""
    if dist is not None:
        check_range(info.field_name, dist)
    return dist


class Segment(Strict):
    share: float = Field(gt=0, le=1, description="share of arrivals in this segment")
    activity: Dist | None = None
    leave: Dist | None = None
    lapse: Dist | None = None
    purchase: Dist | None = None
    tolerance: Dist | None = None
    social: Dist | None = None

    _ranges = field_validator(*TRAITS)(classmethod(_trait_in_range))


class MembersSpec(Strict):
    """Trait distributions (see ``sim.traits``), population-wide and per segment."""
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
    segments: dict[str, Segment] = Field(default_factory=dict)
    activity: Dist = TRAITS["activity"].default
    leave: Dist = TRAITS["leave"].default
    lapse: Dist = TRAITS["lapse"].default
    purchase: Dist = TRAITS["purchase"].default
    tolerance: Dist = TRAITS["tolerance"].default
    social: Dist = TRAITS["social"].default

    _ranges = field_validator(*TRAITS)(classmethod(_trait_in_range))

    @field_validator("segments")
    @classmethod
    def _shares(cls, segments):
        if segments and abs(sum(s.share for s in segments.values()) - 1) > 1e-6:
            raise ValueError("segment shares must add up to 1")
        return segments

    def segment_names(self) -> list[str]:
        return list(self.segments) or ["member"]

    def segment_shares(self) -> list[float]:
        return [s.share for s in self.segments.values()] or [1.0]

    def dist(self, segment: str, trait: str):
        seg = self.segments.get(segment)
        own = getattr(seg, trait) if seg is not None else None
        return own if own is not None else getattr(self, trait)


class Scenario(Strict):
    name: str = Field(min_length=1)
    description: str = ""
    days: int = Field(180, ge=1, le=3650, description="days to simulate")
    seed: int = Field(1, ge=0, le=2**63 - 1)
    recruitment: Recruitment = Recruitment()
    groups: GroupsSpec = GroupsSpec()
    members: MembersSpec = MembersSpec()
    behavior: Behavior = Behavior()
    strategies: typing.Any = None

    def strategy_params(self) -> dict[str, BaseModel]:
        if self.strategies is None:
            return {}
        return {k: v for k, v in self.strategies if v is not None}

    def canonical(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()[:16]


@lru_cache(maxsize=8)
def _model_for(names: tuple[str, ...]) -> type[Scenario]:
    """The Scenario schema with one optional section per registered strategy."""
    fields = {n: (REGISTRY[n].Params | None, None) for n in names}
    strategies = create_model("Strategies", __base__=Strict, **fields)
    return create_model("Scenario", __base__=Scenario, strategies=(strategies, strategies()))


def scenario_model() -> type[Scenario]:
    return _model_for(tuple(REGISTRY))


def parse_scenario(data: dict, source: str = "<scenario>", lines: dict | None = None) -> Scenario:
    model = scenario_model()
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise _input_error(e, model, source, lines or {}) from None


def load_scenario(path: str | Path, overrides: typing.Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario file; ``overrides`` are ``dotted.key=value`` strings."""
    data, lines = read_yaml(path)
    parse_scenario(data, str(path), lines)  # errors in the file itself come first
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(str(path), "--set", f"'{item}' is not key=value (for example days=90)")
        set_dotted(data, key.strip(), value)
        try:
            parse_scenario(data, str(path))
        except InputError as err:
            raise InputError(str(path), f"--set {key.strip()}", f"{err.field}: {err.message}") from None
    return parse_scenario(data, str(path), lines)


def _input_error(e: ValidationError, model: type[BaseModel], source: str, lines: dict) -> InputError:
    err = e.errors()[0]
    loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and "[" in x))
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        message = f"unknown field; {hint}allowed: {', '.join(allowed) or 'none'}"
    elif err["type"] == "missing":
        message = "required field is missing"
    elif "input" in err and err["type"] not in ("value_error", "assertion_error"):
        message = f"{message} (got {err['input']!r})"
    more = len(e.errors()) - 1
    if more:
        message += f" (+{more} more problem{'s' if more > 1 else ''})"
    return InputError(source, ".".join(map(str, loc)), message, line_of(lines, loc))


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the model found at ``loc`` inside ``model`` (for did-you-mean)."""
    tp: typing.Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return []
    tp = _unwrap(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _unwrap(tp):
    while typing.get_origin(tp) in (typing.Union, typing.Annotated) or type(tp).__name__ == "UnionType":
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = args[0]
    return tp
