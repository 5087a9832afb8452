"""The strategy reference: every registered strategy's parameters with their defaults,
allowed values and meaning, as Markdown, generated from the parameter schemas so the
README cannot drift from the code (``tests/test_readme.py`` compares them;
``python -m sim.strategies.reference --write`` rewrites the README's section)."""
from __future__ import annotations

import sys
import typing
from pathlib import Path

from .base import REGISTRY
from .schedule import Schedule, Target

START, END = "<!-- strategies:start -->", "<!-- strategies:end -->"
SHARED = {"when": Schedule, "where": Target}


def markdown() -> str:
    """One section per strategy (in registry order), then the shared ``when`` and ``where``."""
    parts = []
    for name, cls in REGISTRY.items():
        doc = (sys.modules[cls.__module__].__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        rows = [_row(field, info) for field, info in cls.Params.model_fields.items() if field not in SHARED]
        parts.append(f"**`{name}`** — {doc} (`{cls.__module__.replace('.', '/')}.py`)\n\n" + _table(rows))
    for name, model in SHARED.items():
        rows = [_row(field, info) for field, info in model.model_fields.items()]
        parts.append(f"**`{name}`** (every strategy)\n\n" + _table(rows))
    return "\n\n".join(parts) + "\n"


def _table(rows: list[str]) -> str:
    return "| parameter | default | allowed | meaning |\n|---|---|---|---|\n" + "\n".join(rows)


def _row(field: str, info) -> str:
    bounds = []
    for m in info.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"),
                           ("min_length", "length >="), ("max_length", "length <=")):
            if getattr(m, attr, None) is not None:
                bounds.append(f"{sign} {getattr(m, attr):g}")
    choices = typing.get_args(info.annotation) if typing.get_origin(info.annotation) is typing.Literal else ()
    allowed = " or ".join(map(str, choices)) if choices else ", ".join(bounds) or "any"
    default = "none" if info.default is None else list(info.default) if isinstance(info.default, tuple) else info.default
    return f"| `{field}` | {default} | {allowed} | {info.description or ''} |"


def write(readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{markdown()}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write(Path(__file__).resolve().parents[2] / "README.md")
    else:
        print(markdown(), end="")
