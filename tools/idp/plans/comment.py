"""One Markdown PR comment per environment from a Terragrunt plan directory.

Order: hidden marker (env + plan fingerprint) → destructive-change banner → summary table → one
collapsible section per unit. Sensitive values are never printed. The comment stays under GitHub's
65,536-character limit: unchanged units are dropped first, then the largest sections are shortened,
and the comment says what was cut and where the full plan is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from idp.plans.fingerprint import plan_fingerprint
from idp.plans.mocks import mocked_units
from idp.plans.model import SYMBOL, Counts, Kind, ResourceChange, UnitPlan, kind_of
from idp.plans.values import attribute_diffs, output_references_secret, output_value, sensitive_paths

MAX_COMMENT_CHARS = 65_536
MAX_ATTRIBUTES_PER_RESOURCE = 40
HEADER = ("unit", "add", "change", "destroy", "replace", "move", "import")


@dataclass
class Section:
    unit: str
    text: str
    changed: bool


def marker(env: str, fingerprint: str) -> str:
    return f"<!-- idp-plan env={env} fingerprint={fingerprint} -->"


def _escape(text: str) -> str:
    return text.replace("`", "'")


def resource_block(resource: ResourceChange) -> str:
    verb = {Kind.NOOP: "moved" if resource.moved_from else "import"}.get(resource.kind, resource.kind.value)
    head = f"{SYMBOL[resource.kind]} {verb} {resource.label}"
    notes = []
    if resource.moved_from:
        notes.append(f"moved from {resource.moved_from}")
    if resource.importing:
        notes.append("imported")
    if resource.reason:
        notes.append(resource.reason.replace("_", " "))
    lines = [head + (f"  # {'; '.join(notes)}" if notes else "")]
    if resource.kind in (Kind.UPDATE, Kind.CREATE, Kind.REPLACE):
        diffs = attribute_diffs(resource.change)
        for diff in diffs[:MAX_ATTRIBUTES_PER_RESOURCE]:
            if diff.before is None:
                lines.append(f"    + {diff.path} = {diff.after}")
            elif diff.after is None:
                lines.append(f"    - {diff.path} = {diff.before}")
            else:
                lines.append(f"    ~ {diff.path}: {diff.before} → {diff.after}")
        if len(diffs) > MAX_ATTRIBUTES_PER_RESOURCE:
            lines.append(f"    … {len(diffs) - MAX_ATTRIBUTES_PER_RESOURCE} more attributes")
    return "\n".join(_escape(line) for line in lines)


def unit_section(plan: UnitPlan, limit_resources: int | None = None) -> Section:
    if not plan.has_changes:
        return Section(plan.unit, f"- `{plan.unit}`: No changes.", changed=False)
    changed = plan.changed_resources
    shown = changed if limit_resources is None else changed[:limit_resources]
    blocks = [resource_block(r) for r in shown]
    secrets = sensitive_paths(plan.raw)
    outputs = []
    for name, change in sorted(plan.changed_outputs.items()):
        secret = output_references_secret(plan.raw, name, secrets)
        before = output_value(name, change, "before", secret=secret)
        after = output_value(name, change, "after", secret=secret)
        outputs.append(f"{SYMBOL[kind_of(change.get('actions', []))]} output.{name}: {before} → {after}")
    body = "\n".join(blocks + ([""] if blocks and outputs else []) + outputs)
    cut = ""
    if limit_resources is not None and len(changed) > limit_resources:
        cut = f"\n\n_… {len(changed) - limit_resources} more resource changes cut to fit the comment._"
    c = plan.counts
    summary = (
        f"<code>{plan.unit}</code> — {c.add} to add, {c.change} to change, "
        f"{c.destroy} to destroy, {c.replace} to replace"
    )
    text = f"<details><summary>{summary}</summary>\n\n```diff\n{body}\n```{cut}\n\n</details>"
    return Section(plan.unit, text, changed=True)


def banner(plans: Sequence[UnitPlan]) -> str:
    lines = [
        f"- `{p.unit}`: **{r.kind.value}** `{r.label}`" + (f" ({r.reason})" if r.reason else "")
        for p in plans
        for r in p.destructive
    ]
    if not lines:
        return ""
    return f"> [!WARNING]\n> ⚠️ **{len(lines)} resource(s) will be destroyed or replaced**\n" + "\n".join(
        f"> {line}" for line in lines
    )


def summary_table(plans: Sequence[UnitPlan]) -> str:
    rows = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    total = Counts()
    for plan in plans:
        counts = plan.counts
        total = total + counts
        rows.append(f"| `{plan.unit}` | " + " | ".join(map(str, counts.row())) + " |")
    rows.append("| **total** | " + " | ".join(f"**{n}**" for n in total.row()) + " |")
    return "\n".join(rows)


def mock_banner(plans: Sequence[UnitPlan]) -> str:
    mocked = mocked_units(plans)
    if not mocked:
        return ""
    units = ", ".join(f"`{unit}` ({', '.join(names)})" for unit, names in sorted(mocked.items()))
    return (
        "> [!CAUTION]\n> **Planned with mock outputs**: a dependency has no state yet (a first deploy). "
        f"Inputs from mocks: {units}.\n> This plan is for review only and is never applied as saved: "
        "the apply runs the units in dependency order, each planned with its dependencies' real outputs."
    )


def render(
    env: str,
    plans: Sequence[UnitPlan],
    artifact: str | None,
    max_chars: int = MAX_COMMENT_CHARS,
    notices: Sequence[str] = (),
) -> str:
    """artifact: the workflow artifact holding the full plans (None: none is kept, e.g. a pull request's);
    notices: what the reviewer must know about the plan's inputs (e.g. images not built yet)."""
    fingerprint = plan_fingerprint(plans)
    head = [marker(env, fingerprint)]
    head += ["> [!IMPORTANT]\n> " + notice for notice in notices]
    mocks = mock_banner(plans)
    if mocks:
        head.append(mocks)
    warn = banner(plans)
    if warn:
        head.append(warn)
    changed_units = sum(p.has_changes for p in plans)
    head.append(f"### Terraform plan — `{env}`\n\n{changed_units} of {len(plans)} unit(s) with changes.")
    if not plans:
        head.append(f"No unit of `{env}` is affected by this change: nothing to plan.")
    head.append(summary_table(plans))
    kept = f"workflow artifact `{artifact}`" if artifact else "not kept for pull requests (docs/adr/0002)"
    footer = f"Plan fingerprint `{fingerprint[:16]}…` — full plans: {kept}."
    sections = [unit_section(p) for p in plans]

    def assemble(notes: list[str]) -> str:
        parts = [*head, "\n\n".join(s.text for s in sections)]
        if notes:
            parts.append("> [!NOTE]\n" + "\n".join(f"> {n}" for n in notes))
        parts.append(footer)
        return "\n\n".join(parts) + "\n"

    notes: list[str] = []
    text = assemble(notes)
    if len(text) > max_chars:
        unchanged = [s for s in sections if not s.changed]
        sections = [s for s in sections if s.changed]
        if unchanged:
            notes.append(f"{len(unchanged)} unit(s) without changes omitted.")
        text = assemble(notes)
    by_unit = {p.unit: p for p in plans}
    shortened: dict[str, int] = {}
    while len(text) > max_chars and sections:
        largest = max(range(len(sections)), key=lambda i: len(sections[i].text))
        unit = sections[largest].unit
        count = len(by_unit[unit].changed_resources)
        keep = shortened.get(unit, count) // 2
        shortened[unit] = keep
        sections[largest] = unit_section(by_unit[unit], limit_resources=keep)
        notes_now = [n for n in notes if not n.startswith("Shortened")]
        notes_now.append(
            "Shortened to fit GitHub's comment limit: " + ", ".join(f"`{u}`" for u in sorted(shortened)) + "."
        )
        text = assemble(notes_now)
        if keep == 0 and len(text) > max_chars:
            sections.pop(largest)
    return text
