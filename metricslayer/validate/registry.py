"""The rule registry: every rule is a small function with a stable code and its docs.

A rule takes the LintContext and yields Issues; it never raises (a rule that does becomes ML000).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .issue import ERROR, WARNING

CODE = re.compile(r"^ML\d{0,3}$")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # kebab-case, e.g. unknown-measure
    severity: str  # default severity
    summary: str  # one line
    what: str
    why: str
    example: str  # failing YAML
    fix: str  # passing YAML / what to do instead
    func: Callable | None = None
    needs: str = ""  # "" | "dialects" | "target": rules that only run when asked
    # rules whose findings are produced by another function (the loader, the schema walk) have no func

    def doc(self) -> str:
        """The rule's documentation as Markdown (used by --explain and docs/lint.md)."""
        parts = [f"## {self.code} {self.name} ({self.severity})", "", self.summary, "",
                 "**What it does.** " + self.what, "", "**Why.** " + self.why]
        if self.needs:
            parts += ["", f"Runs only with `--{'dialects' if self.needs == 'dialects' else 'against-target'}`."]
        parts += ["", "**Example** (reported):", "", "```yaml", self.example.strip("\n"), "```", "",
                  "**Fix:**", "", "```yaml", self.fix.strip("\n"), "```"]
        return "\n".join(parts)


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, summary: str, *, what: str, why: str, example: str, fix: str,
         severity: str = ERROR, needs: str = ""):
    """Register a rule. Used as a decorator on the rule function, or called plainly for codes
    produced elsewhere (the loader's problems, the schema walk)."""

    def register(f: Callable | None) -> Callable | None:
        if code in RULES:
            raise RuntimeError(f"lint rule {code} is registered twice")
        RULES[code] = Rule(code, name, severity, summary, textwrap.dedent(what).strip(),
                           textwrap.dedent(why).strip(), textwrap.dedent(example), textwrap.dedent(fix), f,
                           needs)
        return f

    if severity not in (ERROR, WARNING):
        raise RuntimeError(f"lint rule {code}: unknown severity {severity!r}")
    return register


def declare(code: str, name: str, summary: str, **kwargs) -> None:
    """Register a code whose findings another part of the linter produces."""
    rule(code, name, summary, **kwargs)(None)


def attach(code: str, func: Callable) -> None:
    """Give a declared code its function (for a function that yields several codes)."""
    from dataclasses import replace

    RULES[code] = replace(RULES[code], func=func)


def all_rules() -> list[Rule]:
    from . import rules  # noqa: F401  (registers every rule module)

    return [RULES[c] for c in sorted(RULES)]


def check_codes(codes: Iterable[str], flag: str) -> list[str]:
    """Validate --select/--ignore items (a code or a prefix such as ML2, ML60); raise ValueError."""
    out = []
    known = [r.code for r in all_rules()]
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if code == "ALL":
            code = "ML"
        if not CODE.match(code) or not any(k.startswith(code) for k in known):
            from ..errors import did_you_mean

            raise ValueError(f"{flag}: unknown rule code or prefix '{raw}'"
                             + (f"; {did_you_mean(code, known)}" if did_you_mean(code, known) else ""))
        out.append(code)
    return out


def enabled(code: str, select: list[str], ignore: list[str]) -> bool:
    """ruff's rule: the longest matching prefix wins; select defaults to everything."""
    best_select = max((len(p) for p in (select or ["ML"]) if code.startswith(p)), default=-1)
    best_ignore = max((len(p) for p in ignore if code.startswith(p)), default=-1)
    return best_select >= 0 and best_select > best_ignore
