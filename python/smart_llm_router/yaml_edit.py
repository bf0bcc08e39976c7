"""Setting values in a YAML document's text, keeping everything else as written (comments,
order, quoting, blank lines): what ``slr calibrate`` writes its numbers into a config with.

Each value is set by replacing the text of its node, or by inserting a ``key: value`` line
before the first key of the mapping that lacks it (deeper missing keys come as nested lines);
values are written in flow style (``0.25``, ``[0.0, 0.3, 0.5]``). The result is parsed again
and must hold exactly the data asked for; where a document is written in a way these edits do
not handle (a flow mapping holding comments, anchors shared with other keys, ...), the whole
document is dumped instead and the caller told that its comments are gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

KeyPath = tuple[str, ...]


class _Unsupported(Exception):
    pass


def flow(value: Any) -> str:
    """``value`` as one line of YAML (flow style)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=2**30, allow_unicode=True, sort_keys=False)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text


def _content_end(node: Node) -> int:
    """Where ``node``'s own text ends: a block collection's end mark lies after the comments
    and blank lines that follow it, its last item's does not."""
    if isinstance(node, (SequenceNode, MappingNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return _content_end(last[1] if isinstance(node, MappingNode) else last)
    return int(node.end_mark.index)


def _replace(text: str, node: Node, value: Any) -> str:
    if (
        isinstance(node, SequenceNode)
        and isinstance(value, list)
        and len(node.value) == len(value)
        and all(isinstance(item, ScalarNode) for item in node.value)
    ):
        # Item by item, last first: a block list stays a block list, its comments stay.
        for item, v in reversed(list(zip(node.value, value))):
            text = _replace(text, item, v)
        return text
    start, end = node.start_mark.index, _content_end(node)
    new = flow(value)
    if start == end and start > 0 and text[start - 1] == ":":  # an empty value: "key:"
        new = " " + new
    return text[:start] + new + text[end:]


def _nested(keys: KeyPath, value: Any) -> Any:
    for key in reversed(keys):
        value = {key: value}
    return value


def _insert(text: str, mapping: MappingNode, keys: KeyPath, value: Any) -> str:
    """``keys`` (the first missing from ``mapping``) set to ``value`` in ``mapping``."""
    if mapping.flow_style or not mapping.value:
        data = yaml.safe_load(text[mapping.start_mark.index : mapping.end_mark.index]) or {}
        data.update(_nested(keys, value))
        return text[: mapping.start_mark.index] + flow(data) + text[mapping.end_mark.index :]
    first = mapping.value[0][0]
    column = first.start_mark.column
    lines = [" " * (2 * depth) + f"{flow(key)}:" for depth, key in enumerate(keys[:-1])]
    lines.append(" " * (2 * (len(keys) - 1)) + f"{flow(keys[-1])}: {flow(value)}")
    block = ("\n" + " " * column).join(lines) + "\n" + " " * column
    at = first.start_mark.index
    if text[at - column : at].strip():  # the first key shares its line with something else
        raise _Unsupported
    return text[:at] + block + text[at:]


def _set(text: str, path: KeyPath, value: Any) -> str:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    for depth, key in enumerate(path):
        if not isinstance(node, MappingNode):
            raise _Unsupported
        child = None
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                child = v
        if child is None:
            return _insert(text, node, path[depth:], value)
        if depth == len(path) - 1:
            return _replace(text, child, value)
        if isinstance(child, ScalarNode) and child.tag == "tag:yaml.org,2002:null":
            return _replace(text, child, _nested(path[depth + 1 :], value))
        node = child
    raise _Unsupported


def _unshared(data: Any) -> Any:
    """A copy in which no two keys share a value (YAML aliases do; deepcopy keeps them)."""
    if isinstance(data, dict):
        return {k: _unshared(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_unshared(v) for v in data]
    return data


def _expected(data: Any, updates: Mapping[KeyPath, Any]) -> Any:
    data = _unshared(data)
    for path, value in updates.items():
        node = data
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = value
    return data


def set_values(text: str, updates: Mapping[KeyPath, Any]) -> tuple[str, bool]:
    """``text`` with each key path of ``updates`` set to its value, and whether the rest of the
    text (comments included) was kept; when not, the text is the whole document dumped anew.
    ``text`` must be a YAML mapping (raises ``yaml.YAMLError`` if it is not YAML)."""
    original = yaml.safe_load(text)
    expected = _expected(original if original is not None else {}, updates)
    new = text
    try:
        for path, value in updates.items():
            new = _set(new, path, value)
        if yaml.safe_load(new) == expected:
            return new, True
    except (_Unsupported, yaml.YAMLError):
        pass
    return yaml.safe_dump(expected, sort_keys=False, allow_unicode=True), False
