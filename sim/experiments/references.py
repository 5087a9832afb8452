"""Checks across a scenario's sections: every name one section uses is declared in another
(a stage a strategy schedules by, a segment a rule or strategy names, a kind a strategy aims at
or promotes into), and one strategy sets the invitation funnel. ``Scenario`` runs them after
its fields are read; each error names the field, as every input error does."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator


class NamesDeclared(BaseModel):
    """The cross-section checks of ``sim.experiments.scenario.Scenario`` (its base)."""
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _stages_named_exist(self):
        """A ``when.stage`` names one of the scenario's stages."""
        ranges = self.stage_ranges()
        for name in (self.strategies.names() if self.strategies is not None else []):
            instances = getattr(self.strategies, name)
            for k, params in enumerate(instances):
                unknown = [s for s in (params.when.stage or ()) if s not in ranges]
                if unknown:
                    where = f"strategies.{name}" + (f".{k}" if len(instances) > 1 else "")
                    raise ValueError(f"{where}.when.stage: no stage '{unknown[0]}'; "
                                     f"the stages are {', '.join(ranges)}")
        return self

    @model_validator(mode="after")
    def _segments_named_exist(self):
        """A strategy parameter that names a segment (``SEGMENT_FIELDS`` of its parameters)
        names one of the scenario's."""
        names = self.members.segment_names() if self.members is not None else ["member"]
        for segment in (self.groups.routing or {}):
            if segment not in names:
                raise ValueError(f"groups.routing.{segment}: no segment '{segment}'; "
                                 f"the segments are {', '.join(names)}")
        for segment in self.money.segments:  # orders priced per segment (sim.engine.money)
            if segment not in names:
                raise ValueError(f"money.segments.{segment}: no segment '{segment}'; "
                                 f"the segments are {', '.join(names)}")
        spam = self.behavior.spam.segment  # the members who post ads (sim.engine.spam.Spam)
        if spam is not None and spam not in names:
            raise ValueError(f"behavior.spam.segment: no segment '{spam}'; the segments are {', '.join(names)}")
        for pair in self.behavior.conflict.opposed:  # segments at odds in one group (sim.engine.conflict)
            for segment in (s for s in pair if s not in names):
                raise ValueError(f"behavior.conflict.opposed: no segment '{segment}'; "
                                 f"the segments are {', '.join(names)}")
        for strategy, params in (self.strategy_params() if self.strategies is not None else []):
            for field in getattr(params, "SEGMENT_FIELDS", ()):
                value = getattr(params, field)
                if value is not None and value not in names:
                    raise ValueError(f"strategies.{strategy}.{field}: no segment '{value}'; "
                                     f"the segments are {', '.join(names)}")
        return self

    @model_validator(mode="after")
    def _kinds_named_exist(self):
        """A strategy's ``where.kinds`` names kinds of ``groups.kinds``."""
        names = self.groups.kind_names()
        for strategy, params in (self.strategy_params() if self.strategies is not None else []):
            unknown = [k for k in (params.where.kinds or ()) if k not in names]
            if unknown:
                raise ValueError(f"strategies.{strategy}.where.kinds: no kind '{unknown[0]}'; "
                                 f"the kinds are {', '.join(names)}")
            for field in getattr(params, "KIND_FIELDS", ()):  # a tier kind: declared, not routable
                value = getattr(params, field)
                tiers = [k.name for k in (self.groups.kinds or ()) if not k.routable]
                if value not in tiers:
                    raise ValueError(f"strategies.{strategy}.{field}: no tier kind '{value}' (a kind of "
                                     f"groups.kinds with routable: false); the tier kinds are "
                                     f"{', '.join(tiers) or 'none'}")
        return self

    @model_validator(mode="after")
    def _one_invitation_funnel(self):
        """One strategy sets the invitation funnel (``sim.engine.day.Day.invite``): a staged
        funnel and a welcome offer or re-invites of onboarding would overwrite each other."""
        if self.strategies is None:
            return self
        staged = [p for n, p in self.strategy_params() if n == "recruitment_funnel" and
                  (p.add_rate < 1 or p.verify_rate < 1 or p.join_rate is not None or p.rejoin > 0)]
        offers = [p for n, p in self.strategy_params() if n == "onboarding" and
                  (p.join_probability is not None or p.rejoin > 0)]
        if len(staged) > 1:
            raise ValueError("strategies.recruitment_funnel: one instance sets the stages (several would overwrite "
                             "each other's join rate); write one")
        if staged and offers:
            raise ValueError("strategies.onboarding: its join_probability or rejoin and recruitment_funnel's stages "
                             "both set the invitation funnel; set the join rate and re-invites in one of them")
        return self
