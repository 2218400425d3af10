"""Mappings and lists that remember where they stand in a YAML file (no YAML import needed to use them)."""

from __future__ import annotations


class LDict(dict):
    """A dict that remembers where it and each of its keys stand (1-based line, column)."""

    line: int = 0
    column: int = 0
    key_pos: dict

    def pos(self, key: str) -> tuple[int, int]:
        return self.key_pos.get(key, (self.line, self.column))


class LList(list):
    line: int = 0
    column: int = 0
    item_pos: list

    def pos(self, index: int) -> tuple[int, int]:
        if 0 <= index < len(self.item_pos):
            return self.item_pos[index]
        return (self.line, self.column)
