"""Run the lint rules over a project: load (never raising), run each rule guarded, filter, sort."""

from __future__ import annotations

import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MetricsLayerError
from .context import DEFAULT_MAX_KPIS, LintConfig, LintContext, SourceFile
from .issue import ERROR, SEVERITIES, WARNING, Issue
from .registry import RULES, all_rules, check_codes, enabled

# Findings another rule states more precisely: dropped when an error sits on the same file and line.
CATCH_ALL = {"ML100", "ML503"}
EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


@dataclass
class LintReport:
    issues: list[Issue] = field(default_factory=list)
    config_failed: bool = False  # settings/profile/lint config could not be read: exit 2
    rules_run: int = 0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def exit_code(self) -> int:
        if self.config_failed:
            return EXIT_USAGE
        return EXIT_ERRORS if self.errors else EXIT_OK


class UsageError(ValueError):
    """A bad flag value (--select, --dialects, ...): the CLI exits 2."""


def lint(project_dir: str | Path = ".", *, select=(), ignore=(), dialects=None, against_target: str | None = None,
         target: str | None = None, vars=None, profiles_dir=None) -> LintReport:
    """Lint the project in `project_dir`. Raises UsageError for bad arguments, nothing else."""
    from .. import project as project_module
    from ..spec.project_files import read_settings

    root = Path(project_dir).resolve()
    report = LintReport()
    try:
        select_codes = check_codes(select, "--select")
        ignore_codes = check_codes(ignore, "--ignore")
        flag_dialects = [project_module.check_dialect(d) for d in (dialects or ())]
    except (ValueError, MetricsLayerError) as exc:
        raise UsageError(getattr(exc, "message", str(exc))) from None

    try:
        settings = read_settings(root)
    except MetricsLayerError as exc:
        report.issues.append(_config_issue(exc, "ML001"))
        report.config_failed = True
        return report
    config, config_issues = read_config(settings)
    report.issues += config_issues
    if config_issues:
        report.config_failed = True
    parsed: dict[str, tuple] = {}
    try:
        project = project_module.load_project(root, target=target, vars=vars, profiles_dir=profiles_dir,
                                              strict=False)
    except MetricsLayerError as exc:  # a broken profiles.yml / --vars: report it, lint with a stand-in target
        report.issues.append(_config_issue(exc, "ML001"))
        report.config_failed = True
        try:
            with tempfile.TemporaryDirectory() as tmp:
                name = str(settings.profile or "default")
                (Path(tmp) / "profiles.yml").write_text(
                    f"{name!r}: {{target: lint, outputs: {{lint: {{type: duckdb, path: ':memory:'}}}}}}\n")
                project = project_module.load_project(root, vars=vars if not _is_vars_error(exc) else None,
                                                      profiles_dir=tmp, strict=False)
        except MetricsLayerError as again:
            if again.render() != exc.render():
                report.issues.append(_config_issue(again, "ML001"))
            return _finish(report, select_codes + config.select, ignore_codes + config.ignore, config, {})

    use_dialects = flag_dialects if dialects is not None else _config_dialects(config, report)
    parsed.update(project.spec.parsed)
    files = _source_files(project, parsed)
    ctx = LintContext(root, project, config, files, use_dialects, against_target)
    report.issues += run_rules(ctx, against_target is not None)
    try:
        project.close()
    except Exception:  # pragma: no cover - closing must not hide findings
        pass
    return _finish(report, select_codes or config.select, ignore_codes + config.ignore, config, files)


def _config_dialects(config: LintConfig, report: LintReport) -> list[str]:
    from ..project import check_dialect

    out = []
    for name in config.dialects:
        try:
            out.append(check_dialect(name))
        except MetricsLayerError as exc:
            report.issues.append(Issue("ML002", f"lint.dialects: {exc.message}", exc.help, "metricslayer.yml"))
            report.config_failed = True
    return out


def _is_vars_error(exc: MetricsLayerError) -> bool:
    return "--vars" in exc.message


def _config_issue(exc: MetricsLayerError, code: str) -> Issue:
    return Issue(code, exc.message, exc.help, exc.file or "", exc.line or 0, exc.column or 0, ERROR)


def read_config(settings) -> tuple[LintConfig, list[Issue]]:
    """The `lint:` block of metricslayer.yml; problems become ML002 findings."""
    raw = settings.lint
    file = settings.file or "metricslayer.yml"
    line = settings.raw.pos("lint")[0] if hasattr(settings.raw, "pos") and "lint" in settings.raw else 0
    if hasattr(raw, "line"):
        line = raw.line
    config, issues = LintConfig(), []

    def problem(message: str, help: str, key: str | None = None) -> None:
        at = raw.pos(key)[0] if key and hasattr(raw, "pos") else line
        issues.append(Issue("ML002", message, help, file, at, 0, ERROR))

    if not isinstance(raw, dict):
        problem("'lint' must be a mapping", "write lint: {select: [ML], ignore: [ML602]}")
        return config, issues
    known = {"select", "ignore", "severity", "max_kpis_per_node", "dialects", "synonyms"}
    for key in raw:
        if key not in known:
            from ..errors import did_you_mean

            problem(f"unknown lint setting '{key}'", did_you_mean(str(key), known) or
                    f"known settings: {', '.join(sorted(known))}", key)
    for key in ("select", "ignore"):
        value = raw.get(key) or []
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split()]
        try:
            setattr(config, key, check_codes([str(v) for v in value], f"lint.{key}"))
        except ValueError as exc:
            problem(str(exc), "use codes from 'metricslayer lint --list-rules'", key)
    severity = raw.get("severity") or {}
    if not isinstance(severity, dict):
        problem("'lint.severity' must be a mapping", "write severity: {ML601: error}", "severity")
    else:
        for code, level in severity.items():
            level = str(level).lower()
            if str(code).upper() not in RULES and not check_prefix(str(code)):
                problem(f"lint.severity names unknown rule '{code}'", "use codes from --list-rules", "severity")
            elif level not in SEVERITIES + ("ignore", "off"):
                problem(f"lint.severity of {code} must be error, warning or off", "", "severity")
            else:
                config.severity[str(code).upper()] = level
    max_kpis = raw.get("max_kpis_per_node", DEFAULT_MAX_KPIS)
    if not isinstance(max_kpis, int) or isinstance(max_kpis, bool) or max_kpis < 1:
        problem("lint.max_kpis_per_node must be a whole number of at least 1", "e.g. max_kpis_per_node: 5",
                "max_kpis_per_node")
    else:
        config.max_kpis_per_node = max_kpis
    dialects = raw.get("dialects") or []
    if isinstance(dialects, str):
        dialects = dialects.replace(",", " ").split()
    config.dialects = [str(d).lower() for d in dialects] if isinstance(dialects, list) else []
    synonyms = raw.get("synonyms") or []
    if isinstance(synonyms, list):
        config.synonyms = [[str(s) for s in group] for group in synonyms if isinstance(group, list)]
    return config, issues


def check_prefix(code: str) -> bool:
    try:
        check_codes([code], "severity")
        return True
    except ValueError:
        return False



def _source_files(project, parsed: dict | None = None) -> dict[str, SourceFile]:
    """Each definition file's raw YAML (with positions, reused from the loader) and noqa comments."""
    from ..spec.project_files import definition_files, macro_files
    from ..spec.render import load_macros, make_environment, render
    from ..spec.yamlfile import parse_yaml_documents

    env = make_environment(project.vars)
    try:
        load_macros(env, macro_files(project.settings), project.root)
    except MetricsLayerError:
        pass  # the loader reported it
    files: dict[str, SourceFile] = {}
    for path in definition_files(project.settings):
        rel = str(path.relative_to(project.root))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        source = SourceFile(rel, text)
        if parsed and rel in parsed:
            source.docs, source.line_map = parsed[rel]
            files[rel] = source
            continue
        try:
            rendered, source.line_map = render(env, text, rel)
            source.docs = parse_yaml_documents(rendered, rel, source.line_map)
        except MetricsLayerError:
            pass  # reported by the loader (ML101/ML102)
        except Exception:  # noqa: BLE001 - a broken macro must not stop the linter
            pass
        files[rel] = source
    return files


def run_rules(ctx: LintContext, with_target: bool) -> list[Issue]:
    issues: list[Issue] = []
    ctx.issues_so_far = issues
    for rule in all_rules():
        if rule.func is None:
            continue
        if rule.needs == "dialects" and not ctx.dialects:
            continue
        if rule.needs == "target" and not with_target:
            continue
        try:
            for issue in rule.func(ctx) or ():
                issues.append(issue)
        except Exception as exc:  # noqa: BLE001 - Style 4: a crashing rule becomes a finding
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            issues.append(Issue("ML000", f"rule {rule.code} ({rule.name}) crashed: {type(exc).__name__}: {exc}",
                                f"this is a bug in metricslayer's linter ({Path(frame.filename).name}:{frame.lineno});"
                                f" the other rules still ran. Skip it with --ignore {rule.code}",
                                "", 0, 0, ERROR))
    return issues


def _finish(report: LintReport, select, ignore, config: LintConfig, files: dict[str, SourceFile]) -> LintReport:
    out: list[Issue] = []
    for issue in report.issues:
        if issue.code not in ("ML000", "ML001", "ML002") and not enabled(issue.code, select, ignore):
            continue
        level = _severity_for(issue.code, config.severity)
        if level in ("off", "ignore"):
            continue
        if level:
            issue = issue.with_severity(level)
        elif issue.code in RULES and issue.code not in ("ML000", "ML001", "ML002"):
            issue = issue.with_severity(RULES[issue.code].severity)
        source = files.get(issue.file)
        if source is not None and issue.line in source.noqa:
            codes = source.noqa[issue.line]
            if codes is None or issue.code in codes:
                continue
        out.append(issue)
    precise = {(i.file, i.line) for i in out if i.code not in CATCH_ALL and i.severity == ERROR}
    out = [i for i in out if not (i.code in CATCH_ALL and (i.file, i.line) in precise)]
    report.issues = sorted(set(out), key=lambda i: i.sort_key)
    return report


def _severity_for(code: str, overrides: dict[str, str]) -> str | None:
    best = max((p for p in overrides if code.startswith(p)), key=len, default=None)
    return overrides[best] if best else None


__all__ = ["EXIT_ERRORS", "EXIT_OK", "EXIT_USAGE", "LintReport", "UsageError", "WARNING", "lint"]
