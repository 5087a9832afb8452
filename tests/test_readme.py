"""The README's promises: the annotated scenario validates and shows the defaults, the
quick start is two commands."""
import re
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

import sim
from sim.engine.rules import Behavior
from sim.engine.traits import Distribution
from sim.experiments.scenario import scenario_model
from sim.strategies import REGISTRY, reference

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def annotated_scenario(readme: str = README) -> str:
    return re.search(r"## A scenario file, annotated.*?```yaml\n(.*?)```", readme, re.S).group(1)


def test_annotated_scenario_in_readme_is_valid_and_runs():
    block = annotated_scenario()
    scenario = sim.parse_scenario(yaml.safe_load(block), "README.md")
    assert set(scenario.members.segments) == {"regular", "bargain_seeker", "freebie_hunter"}
    model = sim.CommunityModel(scenario.model_copy(update={"days": 5})).run()
    assert model.recorder.daily()["members"].sum() > 0


def test_quick_start_is_make_demo_and_make_test():
    quick = re.search(r"## Quick start\n(.*?)\n## ", README, re.S).group(1)
    commands = re.findall(r"^(make \w+)", quick, re.M)
    assert commands == ["make demo", "make test"]


def test_experiment_file_in_readme_is_valid(tmp_path):
    from sim.experiments.plan import load_experiment

    block = re.search(r"## Sweeping parameters.*?```yaml\n(.*?)```", README, re.S).group(1)
    folder = tmp_path / "experiments"
    folder.mkdir()
    (folder / "x.yaml").write_text(block.replace("../scenarios/", str(Path(__file__).parent.parent / "scenarios") + "/"))
    plan = load_experiment(folder / "x.yaml")
    assert len(plan.points) == 14 and plan.spec.replications == 8


def test_readme_pictures_exist():
    for picture in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (Path(__file__).parent.parent / picture).is_file(), picture


# -- the annotated scenario shows the defaults -----------------------------------------

EXAMPLE = re.compile(r"example\b", re.I)  # how a comment marks its line's value as an example


def not_defaults(block: str) -> tuple[list[str], int]:
    """(fields of ``block`` whose value is not the schema's default and not marked as an
    example, number of values compared with their default).

    The rule: every value in the annotated scenario is the default of its field, unless the
    comment on the line of its key starts with "example". A mapping whose field is a section
    of the schema (``recruitment``, ``behavior.trust``, ``strategies.messaging``, ``when``)
    is compared field by field; anything else (a trait's distribution, ``segments``) is one
    value. Defaults are read from the schema the code builds (``scenario_model``: scenario
    fields, ``Behavior``, the declared traits, the registered strategies' parameters), so a
    default changed in the code without the README fails here."""
    data, root = yaml.safe_load(block), yaml.compose(block)
    lines = block.splitlines()
    wrong: list[str] = []
    compared = 0

    def walk(node, value: dict, model: type[BaseModel], prefix: str):
        nonlocal compared
        for key_node, child in node.value:
            key, path = key_node.value, prefix + key_node.value
            field = model.model_fields.get(key)
            if field is None:
                wrong.append(f"{path}: not a field of the schema")
                continue
            section = _section(field.annotation)
            if section is not None and isinstance(child, yaml.MappingNode):
                walk(child, value[key], section, path + ".")
                continue
            if EXAMPLE.match(lines[key_node.start_mark.line].partition(" #")[2].strip()):
                continue
            compared += 1
            if field.is_required():
                wrong.append(f"{path}: required, so it has no default; mark it as an example")
                continue
            default = field.get_default(call_default_factory=True)
            annotation = typing.Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            if not _same(annotation, value[key], default):
                wrong.append(f"{path}: README shows {value[key]!r}, the default is {default!r}")

    walk(root, data, scenario_model(), "")
    return wrong, compared


def _section(annotation) -> type[BaseModel] | None:
    """The schema section a field holds (through ``| None`` and a strategy's list of
    instances), or None if the field is one value (a distribution is one value)."""
    while typing.get_origin(annotation) is not None:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) is dict or len(args) != 1:
            return None
        annotation = args[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation is not Distribution:
        return annotation
    return None


def _same(annotation, shown, default) -> bool:
    """Equal once both are read as the field reads them (3 == 3.0, [9, 12] == (9, 12), 1 == {constant: 1})."""
    adapter = TypeAdapter(annotation)
    try:
        return adapter.validate_python(shown) == adapter.validate_python(default)
    except ValidationError:
        return shown == default


def test_annotated_scenario_in_readme_shows_the_defaults():
    """Every value in the README's annotated scenario is its field's default in the code,
    unless the comment on its line starts with "example" (see ``not_defaults``); readers
    copy the block, so a stale default there misleads them."""
    wrong, compared = not_defaults(annotated_scenario())
    assert wrong == [], "\n".join(wrong)
    assert compared >= 30  # the block shows the defaults of most fields, not only examples


def test_a_stale_or_unmarked_value_in_the_annotated_scenario_is_caught():
    """``not_defaults`` can fail: a stale default, a non-default value without the example
    mark, a required field without it and an unknown field are each reported. The blocks
    are built from the code's defaults, so this holds whatever they become."""
    decay = Behavior().fatigue.decay
    good = f"name: x   # example\nbehavior:\n  fatigue: {{decay: {decay}, enabled: true}}\n"
    assert not_defaults(good) == ([], 2)
    stale = good.replace(f"decay: {decay}", f"decay: {decay / 2}")
    assert not_defaults(stale)[0] == [f"behavior.fatigue.decay: README shows {decay / 2}, the default is {decay}"]
    assert not_defaults(good.replace("   # example", ""))[0] == [
        "name: required, so it has no default; mark it as an example"]
    trait = good + "members:\n  activity: {constant: 0.123457}\n"
    assert [w.split(":")[0] for w in not_defaults(trait)[0]] == ["members.activity"]
    assert not_defaults(trait.replace("0.123457}", "0.123457}   # Example: a lively crowd"))[0] == []
    assert not_defaults(good + "sead: 1\n")[0] == ["sead: not a field of the schema"]


def test_the_strategy_reference_in_the_readme_is_the_code_s():
    """The README's strategy reference is what ``sim.strategies.reference`` generates now."""
    section = README.split(reference.START, 1)[1].split(reference.END, 1)[0]
    assert section.strip() == reference.markdown().strip(), \
        "README is out of date: run python -m sim.strategies.reference --write"
    assert all(f"**`{name}`**" in section for name in REGISTRY)
