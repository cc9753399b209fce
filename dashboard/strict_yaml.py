"""The one strict YAML reader of the monitor's reviewed files (protocols, vocabulary).

Plain YAML keeps the *last* of two equal keys without a word, so a line pasted twice could
change a threshold silently (criteria.md section 8). It also reads ``.nan`` and ``.inf`` as
numbers, which no comparison can be trusted with. Both are refused here, with the file and
the line (and, for a number, the key path), before any value reaches a model. Anchors and
aliases (``&review`` / ``*review``) keep working, but a document whose aliases would expand
beyond MAX_EXPANDED_NODES (a "billion laughs" file), one nested deeper than the parser can
follow, or an impossible date (2026-13-45) is refused with one sentence, never a hang, a
MemoryError or a traceback.
"""

from __future__ import annotations

import math

import yaml

from dashboard.errors import MonitorUserError

_FLOAT_TAG = "tag:yaml.org,2002:float"
#: The most nodes a reviewed file may hold with every alias expanded (the protocols hold a
#: few thousand): a file of nested aliases would otherwise expand to billions.
MAX_EXPANDED_NODES = 200_000


class YamlFileError(MonitorUserError):
    """A reviewed YAML file that cannot be trusted: names the file and the line."""


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicated keys and non-finite numbers."""

    file_name = "<yaml>"

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first_line: dict[object, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *base` then an explicit key is an override, by design
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # SafeLoader refuses unhashable keys with its own message
                line = key_node.start_mark.line + 1
                if key in first_line:
                    raise YamlFileError(
                        f"{self.file_name}, line {line}: duplicate key {key!r} "
                        f"(first at line {first_line[key]})"
                    )
                first_line[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:
            raise YamlFileError(
                f"{self.file_name}, line {node.start_mark.line + 1}: "
                f"'{node.value}' is not a date ({error})"
            ) from None

    def check_size(self, node: yaml.Node) -> None:
        """Refuse a document whose aliases expand beyond MAX_EXPANDED_NODES (sizes are
        counted once per node, so the check itself stays linear)."""
        sizes: dict[int, int] = {}
        order, stack = [], [node]
        while stack:  # children before parents, without recursion
            current = stack.pop()
            if id(current) in sizes:
                continue
            sizes[id(current)] = 0
            order.append(current)
            stack.extend(_children(current))
        for current in reversed(order):
            total = 1 + sum(sizes[id(child)] for child in _children(current))
            sizes[id(current)] = total
            if total > MAX_EXPANDED_NODES:
                raise YamlFileError(
                    f"{self.file_name}, line {current.start_mark.line + 1}: its aliases expand "
                    f"to more than {MAX_EXPANDED_NODES:,} values, far more than a reviewed "
                    "file holds: write the values out"
                )

    def check_finite(
        self,
        node: yaml.Node,
        path: str = "",
        seen: frozenset = frozenset(),
        checked: set | None = None,
    ):
        """Every float scalar under ``node`` is finite; the message names the key path."""
        checked = set() if checked is None else checked
        if id(node) in checked:  # an alias of a node checked already: once is enough
            return
        checked.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _FLOAT_TAG and not math.isfinite(self.construct_yaml_float(node)):
                raise YamlFileError(
                    f"{self.file_name}, line {node.start_mark.line + 1}: "
                    f"{path or 'value'}: {node.value} is not a finite number"
                )
            return
        if id(node) in seen:  # an alias of a node being walked (a recursive structure)
            return
        seen = seen | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                label = f"{path}[{index}]"
                if isinstance(item, yaml.MappingNode):  # name list items as the loaders do
                    ids = [
                        v.value
                        for k, v in item.value
                        if isinstance(k, yaml.ScalarNode)
                        and k.value == "id"
                        and isinstance(v, yaml.ScalarNode)
                    ]
                    if ids:
                        label += f" (id {ids[0]})"
                self.check_finite(item, label, seen, checked)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                self.check_finite(value_node, f"{path}.{key}" if path else str(key), seen, checked)


# The constructor table maps tags to functions: register the override, or the base's runs.
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def load_yaml(text: str, file_name: str):
    """The one document of ``text``, strictly; ``file_name`` is what messages call it.

    Raises :class:`YamlFileError` for text that is not YAML, a duplicated key or a
    non-finite number.
    """
    try:
        loader = _StrictLoader(text)  # reading starts here: a NUL byte is refused already
    except yaml.YAMLError as error:
        raise YamlFileError(f"{file_name}: not valid YAML ({error})") from None
    loader.file_name = file_name
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        loader.check_size(node)
        loader.check_finite(node)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise YamlFileError(f"{file_name}: not valid YAML ({error})") from None
    except RecursionError:
        raise YamlFileError(
            f"{file_name}: nested deeper than a reviewed file can be "
            "(thousands of levels): not a protocol or vocabulary"
        ) from None
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
