"""Resolving ``ref('x')``, ``source('a', 'b')`` and ``node_relation`` to relations."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import DefinitionError
from .model import Loc, Relation

_CALL = re.compile(r"^\s*(?:\{\{\s*)?(ref|source)\s*\((.*)\)\s*(?:\}\})?\s*$", re.S)
_ARG = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)")\s*(?:,|$)""")


def parse_call(text: str) -> tuple[str, list[str]] | None:
    """``"ref('orders')"`` -> ``('ref', ['orders'])``; None when `text` is no ref/source call."""
    match = _CALL.match(text)
    if not match:
        return None
    args, rest = [], match.group(2).strip()
    while rest:
        arg = _ARG.match(rest)
        if not arg:
            return None
        args.append(arg.group(1) if arg.group(1) is not None else arg.group(2))
        rest = rest[arg.end():].strip()
    return match.group(1), args


class RelationResolver:
    """Resolves a semantic model's `model:` in the order dbt users expect.

    ref: a dbt manifest (target/manifest.json) -> models/<name>.sql inlined -> table in the target schema.
    """

    def __init__(self, root: Path, model_paths: list[str], schema: str | None, render_sql=None):
        self.root = root
        self.model_paths = model_paths
        self.schema = schema
        self.render_sql = render_sql  # (path, rel) -> rendered SELECT text
        self.sources: dict[tuple[str, str], Relation] = {}
        self._manifest = self._read_manifest(root / "target" / "manifest.json")

    @staticmethod
    def _read_manifest(path: Path) -> dict[str, Relation]:
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        relations = {}
        for node in (data.get("nodes") or {}).values():
            if node.get("resource_type") in ("model", "seed", "snapshot") and node.get("name"):
                relations[node["name"]] = Relation(
                    name=node.get("alias") or node["name"], schema=node.get("schema"),
                    database=node.get("database"), origin=f"ref('{node['name']}')")
        return relations

    def add_sources(self, doc_sources: list, file: str) -> None:
        for source in doc_sources or []:
            if not isinstance(source, dict) or "name" not in source:
                continue
            schema = source.get("schema") or source["name"]
            for table in source.get("tables") or []:
                if isinstance(table, dict) and "name" in table:
                    self.sources[(source["name"], table["name"])] = Relation(
                        name=table.get("identifier") or table["name"], schema=schema,
                        database=source.get("database"),
                        origin=f"source('{source['name']}', '{table['name']}')")

    def resolve(self, text: str, loc: Loc) -> Relation:
        call = parse_call(text)
        if call is None:
            raise DefinitionError(
                f"model: {text!r} is not ref('name') or source('source', 'table')",
                help="write model: ref('orders'), or use node_relation: {schema_name: ..., alias: ...}",
                file=loc.file, line=loc.line)
        kind, args = call
        if kind == "source":
            if len(args) != 2:
                raise DefinitionError("source() takes a source name and a table name", file=loc.file,
                                      line=loc.line, help="write model: source('crm', 'leads')")
            if tuple(args) in self.sources:
                return self.sources[tuple(args)]
            known = [f"source('{a}', '{b}')" for a, b in self.sources]
            raise DefinitionError(
                f"source('{args[0]}', '{args[1]}') is not declared",
                help="declare it under sources: in a YAML file" + (f"; declared: {', '.join(known)}" if known else ""),
                file=loc.file, line=loc.line)
        name = args[-1] if args else ""
        if not name:
            raise DefinitionError("ref() needs a model name", file=loc.file, line=loc.line,
                                  help="write model: ref('orders')")
        if name in self._manifest:
            return self._manifest[name]
        for folder in self.model_paths:
            sql_file = self.root / folder / f"{name}.sql"
            if sql_file.is_file() and self.render_sql is not None:
                rel = str(sql_file.relative_to(self.root))
                return Relation(name=name, sql=self.render_sql(sql_file, rel), origin=f"ref('{name}')")
        return Relation(name=name, schema=self.schema, origin=f"ref('{name}')")

    def node_relation(self, value: dict, loc: Loc) -> Relation:
        alias = value.get("alias") or value.get("relation_name")
        if not alias:
            raise DefinitionError("node_relation needs an alias", file=loc.file, line=loc.line,
                                  help="write node_relation: {schema_name: main, alias: orders}")
        if "relation_name" in value and "alias" not in value:
            parts = str(value["relation_name"]).replace('"', "").split(".")
            return Relation(name=parts[-1], schema=parts[-2] if len(parts) > 1 else None,
                            database=parts[-3] if len(parts) > 2 else None, origin="node_relation")
        return Relation(name=str(alias), schema=value.get("schema_name"), database=value.get("database"),
                        origin="node_relation")
