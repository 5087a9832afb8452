"""Scenario files: the schema, loading, ``--set`` overrides and one-line errors.

A scenario describes a group programme: recruitment, groups, the members' trait
distributions, the member rules' coefficients and the operator's strategies. Every
section refuses unknown keys (with a did-you-mean), and every error names the file,
the line, the dotted field and what is allowed.

The schema follows what is declared: ``members:`` and each segment have one field per
trait (``sim.engine.traits``), ``strategies:`` one section per registered strategy.
Strategies act in the order written; a list under a name runs several instances of it
in list order. ``canonical()`` keeps that order (and the segments'), so the run plan
runs exactly what the file says.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import typing
from functools import lru_cache
from pathlib import Path

from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, create_model, field_validator,
                      model_serializer, model_validator)

from ..engine.kinds import DEFAULT_KIND, GroupKind
from ..engine.money import Money
from ..engine.rules import Behavior
from ..engine.traits import TRAITS, Dist, check_range
from ..strategies import REGISTRY
from ..strategies.schedule import DAY_MAX, STAGES
from .errors import InputError
from .limits import check_members, check_scenario, no_members
from .presets import PRESETS, with_preset
from .references import NamesDeclared
from .yamlfile import line_of, read_yaml, set_dotted


NAME_MAX = 120    # characters of a name: shown in every table, legend and file name
TEXT_MAX = 2_000  # characters of a description or question


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Recruitment(Strict):
    """Who reaches the group invitation, and how many join."""
    initial_members: int = Field(0, ge=0, le=20_000_000, description="members already in groups on day 0")
    arrivals_per_day: float = Field(0.0, ge=0, le=1e6, description="mean recruits a day reaching the invitation (Poisson)")
    join_probability: float = Field(1.0, ge=0, le=1, description="share of recruits who join")


class GroupsSpec(Strict):
    """Group capacity and routing (see ``sim.engine.groups``)."""
    capacity: int = Field(500, ge=1, le=2000, description="members per group (WeChat: 500)")
    auto_switch: bool = Field(True, description="open a new group when the current one is full")
    # WeChat's limits (seed 002); each default is the routing without it (sim.engine.groups)
    qr_limit: int | None = Field(None, ge=1, le=2000, description="members a group's QR code admits (WeChat: 200; "
                                 "the rest come by personal invitation, up to capacity); none: capacity")
    qr_days: int | None = Field(None, ge=1, le=3650, description="days after a group opens that its QR code "
                                "expires (WeChat: 7); none: never")
    reuse_seats: typing.Literal["none", "fill_oldest", "fill_newest"] = Field(
        "none", description="where recruits go: none = the newest group, freed seats never handed out again; "
                            "fill_oldest / fill_newest = the oldest / newest open group with a free seat")
    # group kinds and routing by segment (seeds 001, 003, 004; sim.engine.kinds)
    kinds: tuple[GroupKind, ...] | None = Field(None, min_length=1, max_length=50,
                                                description="kinds of group the programme runs (none: one kind)")
    routing: dict[str, str] | None = Field(None, description="segment -> the kind its recruits are routed to")

    def kind_names(self) -> list[str]:
        return [k.name for k in self.kinds] if self.kinds else [DEFAULT_KIND]

    @model_validator(mode="after")
    def _kinds_consistent(self):
        names = self.kind_names()
        if len(set(names)) < len(names):
            raise ValueError(f"groups.kinds: two kinds named '{next(n for n in names if names.count(n) > 1)}'")
        if self.kinds and not any(k.routable for k in self.kinds):
            raise ValueError("groups.kinds: no kind is routable (recruits would have nowhere to go)")
        if self.kinds and not sum(k.share for k in self.kinds if k.routable) > 0:
            raise ValueError("groups.kinds: the routable kinds' shares are all 0 (recruits could not be split)")
        for segment, kind in (self.routing or {}).items():
            if kind not in names:
                raise ValueError(f"groups.routing.{segment}: no kind '{kind}'; the kinds are {', '.join(names)}")
            if self.kinds and not self.kinds[names.index(kind)].routable:
                raise ValueError(f"groups.routing.{segment}: kind '{kind}' is not routable")
        return self

    @model_serializer(mode="wrap")
    def _without_off_limits(self, handler):
        """Leave out ``reuse_seats`` at its default, so scenarios without it keep their digest."""
        data = handler(self)
        if data.get("reuse_seats") == "none":
            data.pop("reuse_seats")
        return data


def _trait_in_range(cls, dist, info):
    """Field validator of every trait field, so an error names ``...<trait>`` and its line."""
    if dist is not None:
        check_range(info.field_name, dist)
    return dist


class SegmentBase(Strict):
    share: float = Field(ge=0, le=1, description="share of arrivals in this segment (0: only recruits a "
                                                 "strategy attracts, such as freebie hunters)")


class MembersBase(Strict):
    """Trait distributions (see ``sim.engine.traits``), population-wide and per segment;
    one field per declared trait."""
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True)

    @field_validator("segments", check_fields=False)
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


class StrategiesBase(Strict):
    """The operator's strategies, in the order written; a list under a name runs several
    instances of that strategy in list order."""
    _order: tuple[str, ...] = PrivateAttr(())

    @model_validator(mode="wrap")
    @classmethod
    def _keep_order(cls, data, handler):
        model = handler(data)
        if isinstance(data, dict):
            model._order = tuple(k for k, v in data.items() if v is not None)
        return model

    @model_serializer(mode="wrap")
    def _in_order(self, handler):
        data = handler(self)
        return {k: data[k][0] if len(data[k]) == 1 else data[k] for k in self.names()}

    def names(self) -> list[str]:
        """The strategies present, in the order written (any set later, e.g. by
        ``model_copy``, after them in schema order)."""
        present = [n for n in type(self).model_fields if getattr(self, n) is not None]
        return [n for n in self._order if n in present] + [n for n in present if n not in self._order]

    def instances(self) -> list[tuple[str, BaseModel]]:
        return [(name, params) for name in self.names() for params in getattr(self, name)]


def _one_is_a_list(value):
    return [value] if isinstance(value, dict) else value


class Scenario(NamesDeclared):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    description: str = Field("", max_length=TEXT_MAX)
    days: int = Field(180, ge=1, le=3650, description="days to simulate")
    start_weekday: int = Field(0, ge=0, le=6, description="weekday of day 0: 0 Monday ... 6 Sunday")
    seed: int = Field(1, ge=0, le=2**63 - 1)
    recruitment: Recruitment = Recruitment()
    groups: GroupsSpec = GroupsSpec()
    members: typing.Any = None
    behavior: Behavior = Behavior()
    strategies: typing.Any = None
    # orders and money (sim.engine.money), and a vertical preset to start from (sim.experiments.presets)
    money: Money = Money()
    preset: typing.Literal[tuple(PRESETS)] | None = Field(
        None, description=f"start from a vertical's traits and money: {', '.join(PRESETS)} (sim.experiments.presets)")

    @model_validator(mode="before")
    @classmethod
    def _preset_under_the_file(cls, data):
        return with_preset(data)

    @model_serializer(mode="wrap")
    def _money_at_defaults_left_out(self, handler):
        """Leave out ``money`` at its defaults, so scenarios without it keep their digest."""
        data = handler(self)
        if data.get("money") == {}:
            data.pop("money")
        return data
    stages: dict[str, tuple[int, int]] | None = Field(
        None, description="lifecycle stages: name -> [from, to] days since a group opened (ordered, not "
                          "overlapping); strategies schedule by them with when.stage. Default: launch [0, 29], "
                          "daily [30, 179], light [180, 3650] (seed 004; sim.strategies.schedule)")

    @field_validator("stages")
    @classmethod
    def _stages_ordered_apart(cls, stages):
        if stages is None:
            return stages
        if not stages:
            raise ValueError("name at least one stage (or leave stages out for the defaults)")
        for name, (lo, hi) in stages.items():
            if not name.strip() or not 0 <= lo <= hi <= DAY_MAX:
                raise ValueError(f"stage '{name}': [{lo}, {hi}] must be [from, to] with 0 <= from <= to <= {DAY_MAX}")
        ordered = sorted(stages.items(), key=lambda item: item[1])
        for (a, (_, a_to)), (b, (b_from, _)) in zip(ordered, ordered[1:]):
            if b_from <= a_to:
                raise ValueError(f"stages '{a}' and '{b}' overlap (a group age is in one stage at most)")
        return stages

    def stage_ranges(self) -> dict[str, tuple[int, int]]:
        """The lifecycle stages: the scenario's ``stages`` or the defaults."""
        return self.stages if self.stages is not None else STAGES

    def strategy_params(self) -> list[tuple[str, BaseModel]]:
        """(name, parameters) of every strategy instance, in the order they act."""
        return self.strategies.instances()

    def strategy(self, name: str, index: int = 0):
        """The parameters of the ``index``-th instance of strategy ``name`` (None if absent)."""
        found = [params for n, params in self.strategy_params() if n == name]
        return found[index] if index < len(found) else None

    def make_strategies(self) -> list:
        """The strategy objects of one run, in order (the k-th instance of a name gets index k)."""
        seen: dict[str, int] = {}
        out = []
        for name, params in self.strategy_params():
            out.append(REGISTRY[name](params, index=seen.get(name, 0)))
            seen[name] = seen.get(name, 0) + 1
        return out

    def canonical(self) -> str:
        """The scenario as JSON, in schema order (mappings keep their written order:
        segments and strategies act in that order)."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), separators=(",", ":"), ensure_ascii=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()[:16]


@lru_cache(maxsize=8)
def _model_for(names: tuple[str, ...], traits: tuple[str, ...]) -> type[Scenario]:
    """The Scenario schema with one field per declared trait and one optional section per
    registered strategy."""
    ranges = {"ranges": field_validator(*traits)(classmethod(_trait_in_range))}
    segment = create_model("Segment", __base__=SegmentBase, __validators__=ranges,
                           **{t: (Dist | None, None) for t in traits})
    members = create_model("Members", __base__=MembersBase, __validators__=ranges,
                           segments=(dict[str, segment], Field(default_factory=dict)),
                           **{t: (Dist, TRAITS[t].default) for t in traits})
    lists = {"lists": field_validator(*names, mode="before")(_one_is_a_list)} if names else {}
    strategies = create_model("Strategies", __base__=StrategiesBase, __validators__=lists,
                              **{n: (list[REGISTRY[n].Params] | None, Field(None, min_length=1)) for n in names})
    return create_model("Scenario", __base__=Scenario, members=(members, members()),
                        strategies=(strategies, strategies()))


def scenario_model() -> type[Scenario]:
    return _model_for(tuple(REGISTRY), tuple(TRAITS))


def parse_scenario(data: dict, source: str = "<scenario>", lines: dict | None = None) -> Scenario:
    model = scenario_model()
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise input_error(e, model, source, lines or {}, data) from None


def load_scenario(path: str | Path, overrides: typing.Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario file; ``overrides`` are ``dotted.key=value`` strings.

    A scenario that can never have a member is refused (``limits.check_members``), naming
    the override that took the file's members away, if one did."""
    data, lines = read_yaml(path)
    written = parse_scenario(data, str(path), lines)  # errors in the file itself come first
    recruiting = []  # the overrides that touch recruitment, in order
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(str(path), "--set", f"'{item}' is not key=value (for example days=90)")
        try:
            set_dotted(data, key.strip(), value)
        except ValueError as e:
            raise InputError(str(path), f"--set {key.strip()}", str(e)) from None
        try:
            parse_scenario(data, str(path))
        except InputError as err:
            raise InputError(str(path), f"--set {key.strip()}", f"{err.field}: {err.message}") from None
        if key.strip().split(".")[0] == "recruitment":
            recruiting.append(key.strip())
    scenario = parse_scenario(data, str(path), lines)
    if no_members(scenario.recruitment):  # blame the override if the file alone had members
        blame = recruiting and no_members(written.recruitment) is None
        check_members(scenario, str(path), f"--set {recruiting[-1]}" if blame else "recruitment",
                      None if blame else lines.get(("recruitment",)))
    check_scenario(scenario, str(path))
    return scenario


def input_error(e: ValidationError, model: type[BaseModel], source: str, lines: dict, data=None) -> InputError:
    err = e.errors()[0]
    loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and "[" in x))
    if len(loc) > 2 and loc[0] == "strategies" and loc[2] == 0 and isinstance(data, dict) \
            and isinstance((data.get("strategies") or {}).get(loc[1]), dict):
        loc = loc[:2] + loc[3:]  # one instance written as a mapping: no list index in the field
    message = err["msg"].removeprefix("Value error, ")
    named = re.match(r"^([\w.]+): (.*)$", message)
    if not loc and named:  # a check across sections names the field it is about (numbers: instances)
        loc, message = tuple(int(k) if k.isdigit() else k for k in named.group(1).split(".")), named.group(2)
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
        if typing.get_origin(tp) is list:  # a strategy's instances
            tp = _unwrap(typing.get_args(tp)[0])
            if isinstance(part, int):
                continue
        if isinstance(tp, type) and issubclass(tp, BaseModel) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return []
    tp = _unwrap(tp)
    if typing.get_origin(tp) is list:
        tp = _unwrap(typing.get_args(tp)[0])
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _unwrap(tp):
    while typing.get_origin(tp) in (typing.Union, typing.Annotated) or type(tp).__name__ == "UnionType":
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = args[0]
    return tp
