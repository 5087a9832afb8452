"""Scenario files: validation, one-line errors with file, line and dotted field, --set."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim import load_scenario, parse_scenario
from sim.experiments.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
GOOD = sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "benchmarks" / "minimal.yaml"]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_shipped_scenarios_validate(path):
    s = load_scenario(path)
    assert s.name and s.days >= 1
    assert re.fullmatch(r"[0-9a-f]{16}", s.digest)


def test_shipped_scenarios_include_baseline_and_minimal():
    names = {p.name for p in GOOD}
    assert {"baseline.yaml", "minimal.yaml"} <= names


# Each case: (id, file text, line, dotted field, text the message must contain).
BAD = [
    ("unknown-top", "name: x\ndayz: 30\n", 2, "dayz", "did you mean 'days'?"),
    ("unknown-nested", "name: x\nrecruitment:\n  initial_members: 10\n  arivals_per_day: 5\n",
     4, "recruitment.arivals_per_day", "did you mean 'arrivals_per_day'?"),
    ("unknown-in-flow-mapping", "name: x\ngroups: {capacity: 100, autoswitch: true}\n",
     2, "groups.autoswitch", "did you mean 'auto_switch'?"),
    ("unknown-mechanism-field", "name: x\nbehavior:\n  fatigue:\n    decey: 0.5\n",
     4, "behavior.fatigue.decey", "did you mean 'decay'?"),
    ("unknown-section", "name: x\nbehaviour: {}\n", 2, "behaviour", "did you mean 'behavior'?"),
    ("unknown-segment-trait", "name: x\nmembers:\n  segments:\n    a: {share: 0.5}\n    b: {share: 0.5, activty: 0.1}\n",
     5, "members.segments.b.activty", "did you mean 'activity'?"),
    ("wrong-type", "name: x\ndays: thirty\n", 2, "days", "valid integer"),
    ("wrong-type-nested", "name: x\ngroups:\n  capacity: [500]\n", 3, "groups.capacity", "valid integer"),
    ("wrong-type-bool", "name: x\ngroups:\n  auto_switch: perhaps\n", 3, "groups.auto_switch", "valid boolean"),
    ("fractional-int", "name: x\ndays: 30.5\n", 2, "days", "fractional"),
    ("out-of-range", "name: x\nrecruitment:\n  join_probability: 1.5\n",
     3, "recruitment.join_probability", "less than or equal to 1"),
    ("negative", "name: x\nrecruitment:\n  arrivals_per_day: -3\n", 3, "recruitment.arrivals_per_day", "greater than or equal to 0"),
    ("days-zero", "name: x\ndays: 0\n", 2, "days", "greater than or equal to 1"),
    ("capacity-above-cap", "name: x\ngroups: {capacity: 5000}\n", 2, "groups.capacity", "less than or equal to 2000"),
    ("mechanism-range", "name: x\nbehavior:\n  fatigue: {decay: 1.0}\n", 3, "behavior.fatigue.decay", "less than 1"),
    ("probability-with-gamma", "name: x\nmembers:\n  leave: {beta: [1, 80]}\n  activity: {gamma: [2, 0.1]}\n",
     4, "members.activity", "'activity' is a probability"),
    ("probability-constant-above-1", "name: x\nmembers:\n  lapse: 1.2\n", 3, "members.lapse", "constant must be in [0, 1]"),
    ("positive-with-beta", "name: x\nmembers:\n  tolerance: {beta: [2, 2]}\n", 3, "members.tolerance", "positive"),
    ("segment-probability-with-lognormal", "name: x\nmembers:\n  segments:\n    a:\n      share: 1\n      leave: {lognormal: [0, 1]}\n",
     6, "members.segments.a.leave", "'leave' is a probability"),
    ("two-families", "name: x\nmembers:\n  tolerance: {gamma: [2, 1], lognormal: [0, 1]}\n",
     3, "members.tolerance", "exactly one of"),
    ("no-family", "name: x\nmembers:\n  tolerance: {}\n", 3, "members.tolerance", "exactly one of"),
    ("beta-nonpositive", "name: x\nmembers:\n  activity: {beta: [0, 2]}\n", 3, "members.activity", "> 0"),
    ("nan-parameter", "name: x\nmembers:\n  tolerance: {gamma: [2, .nan]}\n", 3, "members.tolerance.gamma.1", "finite"),
    ("inf-parameter", "name: x\nmembers:\n  activity: {beta: [1, .inf]}\n", 3, "members.activity.beta.1", "finite"),
    ("shares-not-1", "name: x\nmembers:\n  segments:\n    a: {share: 0.5}\n    b: {share: 0.3}\n",
     3, "members.segments", "add up to 1"),
    ("unknown-strategy", "name: x\nstrategies:\n  mesaging: {per_day: 3}\n",
     3, "strategies.mesaging", "did you mean 'messaging'?"),
    ("slot-hour-25", "name: x\nstrategies:\n  messaging:\n    per_day: 3\n    slots: [9, 25]\n",
     5, "strategies.messaging.slots", "hours from 0 to 23"),
    ("slot-duplicate", "name: x\nstrategies:\n  messaging: {slots: [9, 9]}\n", 3, "strategies.messaging.slots", "distinct"),
    ("per-day-too-high", "name: x\nstrategies:\n  messaging:\n    per_day: 60\n", 4, "strategies.messaging.per_day", "50"),
    ("strategy-unknown-param", "name: x\nstrategies:\n  messaging:\n    per_dya: 2\n",
     4, "strategies.messaging.per_dya", "did you mean 'per_day'?"),
    ("missing-name", "days: 3\nseed: 2\n", 1, "name", "required field is missing"),
    ("empty-name", "name: ''\n", 1, "name", "at least 1 character"),
    ("duplicate-key", "name: x\ndays: 30\nseed: 1\ndays: 40\n", 4, "days", "given twice"),
    ("duplicate-nested-key", "name: x\nrecruitment:\n  arrivals_per_day: 3\n  arrivals_per_day: 4\n",
     4, "recruitment.arrivals_per_day", "given twice"),
    ("alias-that-contains-itself", "name: x\ndescription: &a [*a]\n", 2, "description", "valid string"),
    ("alias-in-a-list", "name: x\nstrategies:\n  messaging:\n    slots: &s [1, *s]\n",
     4, "strategies.messaging.slots.1", "valid integer"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_gives_one_line_with_file_line_and_field(tmp_path, case):
    name, text, line, field, needle = case
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    err = info.value
    msg = str(err)
    assert "\n" not in msg
    assert (err.source, err.line, err.field) == (str(path), line, field)
    assert re.fullmatch(rf"{re.escape(str(path))}:{line}: {re.escape(field)}: \S.*", msg), msg
    assert needle in err.message, msg


def test_unknown_field_lists_the_allowed_fields(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nrecruitment:\n  arivals_per_day: 5\n")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert "allowed: initial_members, arrivals_per_day, join_probability" in info.value.message


def test_several_problems_report_the_first_and_count_the_rest(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\ndays: 0\nseed: -1\ngroups: {capacity: 0}\n")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert (info.value.field, info.value.line) == ("days", 2)
    assert info.value.message.endswith("(+2 more problems)")


# Errors that have no field: (id, file text or None for a missing file, line or None, text).
BAD_FILE = [
    ("yaml-syntax", "name: x\ndays: [30\nseed: 2\n", 3, "not valid YAML"),
    ("yaml-tab", "name: x\n\tdays: 3\n", 2, "not valid YAML"),
    ("not-a-mapping", "- name: x\n- days: 3\n", None, "must be a YAML mapping"),
    ("scalar", "just text\n", None, "must be a YAML mapping"),
    ("empty", "", None, "must be a YAML mapping"),
    ("two-documents", "name: x\n---\nname: y\n", 2, "not valid YAML"),
    ("missing-file", None, None, "cannot read the file"),
    ("not-utf8", "name: caf\xe9\n".encode("latin-1"), None, "not UTF-8 text"),
]


@pytest.mark.parametrize("case", BAD_FILE, ids=[c[0] for c in BAD_FILE])
def test_bad_file_gives_one_line_with_file_and_line(tmp_path, case):
    name, text, line, needle = case
    path = tmp_path / f"{name}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    msg = str(info.value)
    where = f"{re.escape(str(path))}:{line}" if line else re.escape(str(path))
    assert re.fullmatch(rf"{where}: \S[^\n]*", msg), msg
    assert needle in msg


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/new:os.system"])
def test_loader_is_safe(tmp_path, tag):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f'name: {tag} ["touch {marker}"]\n')
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert "not valid YAML" in str(info.value) and "python/object" in str(info.value)
    assert not marker.exists()
    path.write_text("name: !!python/name:os.system\n")
    with pytest.raises(InputError):
        load_scenario(path)


def test_error_from_a_dict_names_the_source():
    with pytest.raises(InputError) as info:
        parse_scenario({"name": "x", "recruitment": {"join_probability": 2}}, source="<test>")
    assert str(info.value).startswith("<test>: recruitment.join_probability: ")


# -- --set overrides ------------------------------------------------------------------

def test_set_overrides_apply():
    s = load_scenario(BASELINE, ["strategies.messaging.per_day=5", "days=30"])
    assert s.days == 30 and s.strategy("messaging").per_day == 5
    base = load_scenario(BASELINE)
    assert base.strategy("messaging").per_day != 5 or base.days != 30


@pytest.mark.parametrize("item, get, expected", [
    ("days=45", lambda s: s.days, 45),
    ("recruitment.join_probability=0.25", lambda s: s.recruitment.join_probability, 0.25),
    ("recruitment.initial_members=1e2", None, None),  # YAML 1.1: '1e2' is a string, not a number
    ("strategies.messaging.slots=[20, 8]", lambda s: s.strategy("messaging").slots, (8, 20)),
    ("groups.auto_switch=false", lambda s: s.groups.auto_switch, False),
    ("behavior.fatigue.enabled=no", lambda s: s.behavior.fatigue.enabled, False),
    ("members.activity={beta: [2, 20]}", lambda s: s.members.activity.beta, (2.0, 20.0)),
    ("members.social=1.5", lambda s: s.members.social.constant, 1.5),
    ("name=other name", lambda s: s.name, "other name"),
    ("description=[draft", lambda s: s.description, "[draft"),  # not valid YAML: kept as text
    ("description=a: b", None, None),  # a YAML mapping, not a string
])
def test_set_values_are_read_as_yaml(item, get, expected):
    if get is None:
        with pytest.raises(InputError):
            load_scenario(BASELINE, [item])
        return
    assert get(load_scenario(BASELINE, [item])) == expected


def test_set_can_add_a_strategy_section():
    path = ROOT / "scenarios" / "dead_group.yaml"
    if not path.exists():
        pytest.skip("scenarios/dead_group.yaml not present")
    s = load_scenario(path, ["strategies.messaging.per_day=2"])
    assert s.strategy("messaging").per_day == 2


@pytest.mark.parametrize("item, field, needle", [
    ("days=0", "--set days", "days: Input should be greater than or equal to 1"),
    ("recruitment.arivals_per_day=3", "--set recruitment.arivals_per_day", "did you mean 'arrivals_per_day'?"),
    ("strategies.mesaging.per_day=3", "--set strategies.mesaging.per_day", "did you mean 'messaging'?"),
    ("strategies.messaging.slots=[7, 24]", "--set strategies.messaging.slots", "hours from 0 to 23"),
    ("days.x=3", "--set days.x", "days:"),
    ("members.activity={gamma: [1, 2]}", "--set members.activity", "is a probability"),
    ("days", "--set", "is not key=value"),
    ("=5", "--set", "is not key=value"),
])
def test_bad_set_names_the_override(item, field, needle):
    with pytest.raises(InputError) as info:
        load_scenario(BASELINE, [item])
    msg = str(info.value)
    assert info.value.field == field
    assert msg.startswith(f"{BASELINE}: {field}: "), msg
    assert "\n" not in msg and needle in msg


def test_errors_in_the_file_come_before_overrides(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\ndays: 0\n")
    with pytest.raises(InputError) as info:
        load_scenario(path, ["days=30"])
    assert (info.value.field, info.value.line) == ("days", 2)


def test_set_does_not_touch_the_file():
    before = BASELINE.read_bytes()
    load_scenario(BASELINE, ["days=3"])
    assert BASELINE.read_bytes() == before


# -- digest ---------------------------------------------------------------------------

def test_digest_is_stable_and_tracks_values(tmp_path):
    a, b = load_scenario(BASELINE), load_scenario(BASELINE)
    assert a.digest == b.digest and re.fullmatch(r"[0-9a-f]{16}", a.digest)
    assert load_scenario(BASELINE, [f"days={a.days}"]).digest == a.digest  # same values, same hash
    changed = {
        load_scenario(BASELINE, [f"days={a.days + 1}"]).digest,
        load_scenario(BASELINE, ["strategies.messaging.per_day=7"]).digest,
        load_scenario(BASELINE, ["behavior.fatigue.leave=0.51"]).digest,
        load_scenario(BASELINE, ["members.tolerance={gamma: [4, 0.7500001]}"]).digest,
    }
    assert a.digest not in changed and len(changed) == 4


def test_digest_ignores_spelling_and_key_order(tmp_path):
    one = tmp_path / "one.yaml"
    one.write_text("name: x\ndays: 10\nrecruitment: {initial_members: 5}\nmembers:\n  activity: 0.1\n"
                   "groups: {capacity: 100, auto_switch: true}\n")
    two = tmp_path / "two.yaml"
    two.write_text("groups:\n  auto_switch: yes\n  capacity: 100\nmembers: {activity: {constant: 0.1}}\ndays: 10\n"
                   "recruitment:\n  initial_members: 5\nname: x\n")
    assert load_scenario(one).digest == load_scenario(two).digest
    three = tmp_path / "three.yaml"
    three.write_text("name: x\ndays: 10\nrecruitment: {initial_members: 5}\nmembers:\n  activity: 0.1\n"
                     "groups: {capacity: 101}\n")
    assert load_scenario(three).digest != load_scenario(one).digest


# -- a scenario that can never have a member -----------------------------------------

ALLOWED = "allowed: initial_members >= 1, or arrivals_per_day > 0 with join_probability > 0"
NO_MEMBERS = [  # (id, file text, line of the error, the recruitment values the message shows)
    ("no-recruitment-section", "name: x\ndays: 30\n", None,
     "initial_members 0, arrivals_per_day 0, join_probability 1"),
    ("nobody-arrives", "name: x\nrecruitment:\n  initial_members: 0\n  arrivals_per_day: 0\n", 2,
     "initial_members 0, arrivals_per_day 0, join_probability 1"),
    ("nobody-joins", "name: x\ndays: 30\nrecruitment: {arrivals_per_day: 60, join_probability: 0}\n", 3,
     "initial_members 0, arrivals_per_day 60, join_probability 0"),
]


@pytest.mark.parametrize("case", NO_MEMBERS, ids=[c[0] for c in NO_MEMBERS])
def test_a_scenario_that_can_never_have_a_member_is_refused(tmp_path, monkeypatch, case):
    """Such a run would write tables of zeros that read as results; --force is no excuse."""
    name, text, line, values = case
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    monkeypatch.setenv("GROUPSIM_FORCE", "1")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    where = f"{path}:{line}" if line else str(path)
    assert str(info.value) == f"{where}: recruitment: no member can ever join ({values}); {ALLOWED}"


@pytest.mark.parametrize("recruitment", [
    {"initial_members": 1},
    {"arrivals_per_day": 0.01, "join_probability": 0.01},
    {"initial_members": 5, "arrivals_per_day": 0, "join_probability": 0},
])
def test_a_scenario_that_can_have_a_member_is_accepted(tmp_path, recruitment):
    """The refusal is exactly 'no initial members and nobody can join', nothing wider."""
    path = tmp_path / "s.yaml"
    path.write_text(f"name: x\nrecruitment: {recruitment}\n")
    assert load_scenario(path).recruitment.model_dump(include=set(recruitment)) == recruitment


def test_set_that_leaves_no_member_is_named_and_set_can_add_members(tmp_path):
    with pytest.raises(InputError) as info:
        load_scenario(BASELINE, ["days=30", "recruitment.join_probability=0", "seed=3"])
    assert str(info.value) == (f"{BASELINE}: --set recruitment.join_probability: no member can ever join "
                               f"(initial_members 0, arrivals_per_day 60, join_probability 0); {ALLOWED}")
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nrecruitment: {initial_members: 0}\n")
    assert load_scenario(path, ["recruitment.arrivals_per_day=3"]).recruitment.arrivals_per_day == 3
    with pytest.raises(InputError) as info:  # the file is to blame when no override gave it members
        load_scenario(path, ["recruitment.join_probability=0.5"])
    assert (info.value.field, info.value.line) == ("recruitment", 2)
