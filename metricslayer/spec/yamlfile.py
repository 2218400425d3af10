"""YAML parsing that keeps the line and column of every mapping key and list item."""

from __future__ import annotations

import yaml

from ..errors import DefinitionError
from .ldict import LDict, LList  # noqa: F401  (re-exported: they are what parsing returns)

try:  # the C loader is several times faster; positions work the same
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Base = yaml.SafeLoader


class _Loader(_Base):
    _tags: dict = {}

    def resolve(self, kind, value, implicit):
        """PyYAML resolves every plain scalar with regexes; the same few values repeat, so remember them."""
        if kind is yaml.ScalarNode:
            key = (value, implicit)
            tag = self._tags.get(key)
            if tag is None:
                if len(self._tags) > 200_000:
                    self._tags.clear()
                tag = self._tags[key] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)


def _construct_mapping(loader, node):
    result = LDict()
    result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
    result.key_pos = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_pos[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    return result


def _construct_sequence(loader, node):
    result = LList(loader.construct_object(child, deep=True) for child in node.value)
    result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
    result.item_pos = [(c.start_mark.line + 1, c.start_mark.column + 1) for c in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def parse_yaml_documents(text: str, file: str, line_map=None) -> list:
    """Parse every YAML document in `text`; errors name `file` and the (source) line."""
    try:
        return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 0
        column = mark.column + 1 if mark else 0
        if line_map and line:
            line = line_map(line)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(
            f"invalid YAML: {problem}",
            help="check indentation and quoting; a value holding ': ' or '{{' must be quoted",
            file=file,
            line=line,
            column=column,
        ) from None
