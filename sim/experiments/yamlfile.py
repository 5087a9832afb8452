"""Reading YAML safely, with the line of every key, for error messages."""
from __future__ import annotations

import stat
from pathlib import Path

import yaml

from .errors import InputError
from .limits import FILE_BYTES, YAML_NODES


def read_yaml(path: str | Path) -> tuple[dict, dict[tuple, int]]:
    """(data, {key path: line}) of a YAML mapping file; duplicate keys are errors."""
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError(str(path), "", "not a regular file (a scenario or experiment is a YAML file)")
        if info.st_size > FILE_BYTES:
            raise InputError(str(path), "", f"{info.st_size:,} bytes; a scenario or experiment file is at most "
                                            f"{FILE_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(str(path), "", f"cannot read the file ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise InputError(str(path), "", f"not UTF-8 text (byte {e.start}: {e.object[e.start:e.start + 1]!r})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        size = _expanded_size(node, {})
        if size > YAML_NODES:
            raise InputError(str(path), "", f"the YAML holds {size:,} values counting each use of an alias; "
                                            f"the limit is {YAML_NODES:,}")
        data = yaml.safe_load(text)
    except RecursionError:
        raise InputError(str(path), "", "the YAML is nested too deeply") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(str(path), "", f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise InputError(str(path), "", "the file must be a YAML mapping of fields (key: value)")
    lines: dict[tuple, int] = {}
    _walk(node, (), lines, str(path), set())
    return data, lines


def _expanded_size(node, memo: dict) -> int:
    """Values in the document with every alias expanded (memoised: aliases share nodes)."""
    if node is None:
        return 0
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = 1  # a node that contains itself counts once
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, memo) for v in node.value)
    else:
        size = 1
    memo[id(node)] = size
    return size


def _walk(node, prefix: tuple, lines: dict, source: str, walked: set) -> None:
    lines[prefix] = node.start_mark.line + 1
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if id(node) in walked:  # an alias of a node walked already (it may contain itself)
            return
        walked.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise InputError(source, ".".join(map(str, prefix + (key,))), "the key is given twice",
                                 key_node.start_mark.line + 1)
            seen.add(key)
            lines[prefix + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, prefix + (key,), lines, source, walked)
            lines[prefix + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, prefix + (i,), lines, source, walked)


def line_of(lines: dict[tuple, int], loc: tuple) -> int | None:
    """Line of the deepest key of ``loc`` the file has."""
    for k in range(len(loc), -1, -1):
        if tuple(loc[:k]) in lines:
            return lines[tuple(loc[:k])]
    return None


def set_dotted(data: dict, dotted: str, raw_value: str) -> None:
    """Apply ``--set a.b.c=value``; the value is read as YAML (numbers, lists, true)."""
    try:
        value = yaml.safe_load(raw_value)
    except yaml.YAMLError:
        value = raw_value
    set_value(data, dotted, value)


def set_value(data: dict, dotted: str, value) -> None:
    """Set the field at a dotted path, making the mappings on the way. A number picks an
    item of a list (``strategies.messaging.1.per_day``: the second instance); a path
    that runs into a list without one is refused (ValueError), never flattened."""
    keys = dotted.split(".")
    node = data
    for depth, k in enumerate(keys[:-1]):
        if isinstance(node, list):
            node = node[_index(node, k, keys[:depth])]
            continue
        nxt = node.get(k)
        if isinstance(nxt, list) and not keys[depth + 1].isdigit():
            where = ".".join(keys[: depth + 1])
            raise ValueError(f"{where} holds {len(nxt)} instances; name one, e.g. {where}.0.{'.'.join(keys[depth + 1:])}")
        if not isinstance(nxt, (dict, list)):
            nxt = {}
            node[k] = nxt
        node = nxt
    if isinstance(node, list):
        node[_index(node, keys[-1], keys[:-1])] = value
    else:
        node[keys[-1]] = value


def get_value(data, dotted: str):
    """The value at a dotted path (numbers pick list items), or None."""
    for key in dotted.split("."):
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict):
            data = data.get(key)
        else:
            return None
    return data


def _index(items: list, key: str, before: list) -> int:
    if not key.isdigit() or int(key) >= len(items):
        raise ValueError(f"{'.'.join(before)} has {len(items)} instances: give 0 to {len(items) - 1}, not '{key}'")
    return int(key)
