"""The README's promises: the annotated scenario validates, the quick start is two commands."""
import re
from pathlib import Path

import yaml

import sim

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_annotated_scenario_in_readme_is_valid_and_runs():
    block = re.search(r"## A scenario file, annotated.*?```yaml\n(.*?)```", README, re.S).group(1)
    scenario = sim.parse_scenario(yaml.safe_load(block), "README.md")
    assert set(scenario.members.segments) == {"regular", "freebie_hunter"}
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
