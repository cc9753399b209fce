"""The one strict YAML reader of the monitor's reviewed files (protocols, vocabulary).

Plain YAML keeps the *last* of two equal keys without a word, so a line pasted twice could
change a threshold silently (criteria.md section 8). It also reads ``.nan`` and ``.inf`` as
numbers, which no comparison can be trusted with. Both are refused here, with the file and
the line (and, for a number, the key path), before any value reaches a model. Anchors and
aliases (``&review`` / ``*review``) keep working.
"""

from __future__ import annotations

import math

import yaml

from dashboard.errors import MonitorUserError

_FLOAT_TAG = "tag:yaml.org,2002:float"


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
                    raise YamlFileError(f"{self.file_name}, line {line}: duplicate key {key!r} "
                                        f"(first at line {first_line[key]})")
                first_line[key] = line
        return super().construct_mapping(node, deep=deep)

    def check_finite(self, node: yaml.Node, path: str = "", seen: frozenset = frozenset()):
        """Every float scalar under ``node`` is finite; the message names the key path."""
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _FLOAT_TAG and not math.isfinite(self.construct_yaml_float(node)):
                raise YamlFileError(f"{self.file_name}, line {node.start_mark.line + 1}: "
                                    f"{path or 'value'}: {node.value} is not a finite number")
            return
        if id(node) in seen:  # an alias of a node being walked (a recursive structure)
            return
        seen = seen | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                label = f"{path}[{index}]"
                if isinstance(item, yaml.MappingNode):  # name list items as the loaders do
                    ids = [v.value for k, v in item.value
                           if isinstance(k, yaml.ScalarNode) and k.value == "id"
                           and isinstance(v, yaml.ScalarNode)]
                    if ids:
                        label += f" (id {ids[0]})"
                self.check_finite(item, label, seen)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                self.check_finite(value_node, f"{path}.{key}" if path else str(key), seen)


def load_yaml(text: str, file_name: str):
    """The one document of ``text``, strictly; ``file_name`` is what messages call it.

    Raises :class:`YamlFileError` for text that is not YAML, a duplicated key or a
    non-finite number.
    """
    loader = _StrictLoader(text)
    loader.file_name = file_name
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        loader.check_finite(node)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise YamlFileError(f"{file_name}: not valid YAML ({error})") from None
    finally:
        loader.dispose()
