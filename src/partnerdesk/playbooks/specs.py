"""Playbook files (one TOML file per SOP), parsed into typed specs and validated on load.

A bad file is reported with its path, the step and the field; the other files still load.
Text fields are templates: `{partner}`, `{organization}`, `{scheduling_link}`... (see
TEMPLATE_VARIABLES); an unknown name is a load error, `{{` and `}}` are literal braces.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.fields import FieldInfo

from partnerdesk.lib.toml_files import read_toml, validate
from partnerdesk.pipeline.stages import Stage

DEFAULTS_DIR = Path(__file__).parent / "defaults"

TEMPLATE_VARIABLES = {
    "partner": "the partner organization's name (the handbook's PartnerX)",
    "reference": "the engagement's reference, e.g. PD-12",
    "organization": "our organization's name (profile)",
    "fiscal_sponsor": "the fiscal sponsor's name (profile)",
    "fiscal_sponsor_email": "the fiscal sponsor's address (profile)",
    "mailbox": "the shared mailbox address (profile)",
    "mailbox_name": "the shared mailbox's display name (profile)",
    "scheduling_link": "the meeting scheduling link (profile)",
    "agreements_folder": "the folder of partner folders (profile)",
    "templates_folder": "the document templates folder (profile)",
    "partner_folder": "the partner's folder: agreements_folder/partner",
    "contact_names": "the engagement's contacts' names, comma-separated",
    "contact_emails": "the engagement's contacts' addresses, comma-separated",
    "owner": "the engagement owner's username (empty when none)",
    "today": "today's date, YYYY-MM-DD",
    "agreement": "the engagement's services agreement's name",
    "agreement_signatories": "the agreement's signatories, one numbered line each, in signing order",
    "agreement_value": "the agreement's value and currency, e.g. 12000.00 USD",
    "agreement_term": "the agreement's term, e.g. 2027-01-01 to 2027-12-31",
}

# Names only the rendered handbook fills (docs.py, from the profile): a step's `handbook` items
# and the handbook-only sections (handbook/*.toml) may use them, besides TEMPLATE_VARIABLES.
HANDBOOK_VARIABLES = {
    "agreements_path": "the agreements folder as the handbook writes it (Team Drive >> ... >> Agreements)",
    "templates_path": "the templates folder as the handbook writes it",
    "invoice_schedule": "the profile's invoice schedule (annual, quarterly or milestones)",
    "payment_terms_days": "days from an invoice to its due date (profile)",
    "overdue_reminder_days": "days after the due date when an unpaid invoice is reminded (profile)",
    "check_in_every_months": "months between satisfaction check-ins (profile)",
    "check_in_link_days": "days a check-in link works (profile)",
    "check_in_low_score": "the rating at or below which a check-in makes a follow-up task (profile)",
    "renewal_reminder_days": "days before the term ends when the owner is reminded (profile)",
}

PHASES = {
    "lead": "Lead phase SOPs",
    "prospect": "Prospect Phase SOPs",
    "partner": "Partnership Phase SOPs",
}

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, StringConstraints(min_length=1)]


def template_fields(text: str) -> list[str]:
    """The placeholder names in a template; raises ValueError for a malformed one."""
    names = []
    for _, field_name, format_spec, conversion in string.Formatter().parse(text):
        if field_name is None:
            continue
        if not field_name or format_spec or conversion:
            raise ValueError(f"malformed placeholder in {text!r} (write {{name}}, or {{{{ for a brace)")
        names.append(field_name)
    return names


def check_template(value: Any) -> Any:
    """A field validator: every placeholder in the text (or list, or dict values) is known."""
    texts = [value] if isinstance(value, str) else list(value.values()) if isinstance(value, dict) else value
    texts = texts or []
    for text in texts:
        if not isinstance(text, str):
            continue
        for name in template_fields(text):
            if name not in TEMPLATE_VARIABLES:
                known = ", ".join(TEMPLATE_VARIABLES)
                raise ValueError(f"unknown placeholder {{{name}}} (known: {known})")
    return value


def check_handbook_template(value: Any) -> Any:
    """Like the step templates, with the handbook's own names (HANDBOOK_VARIABLES) too."""
    known = TEMPLATE_VARIABLES | HANDBOOK_VARIABLES
    for text in [value] if isinstance(value, str) else value or []:
        for name in template_fields(text):
            if name not in known:
                raise ValueError(f"unknown placeholder {{{name}}} (known: {', '.join(known)})")
    return value


def render(text: str, variables: dict[str, str]) -> str:
    return text.format_map(variables)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TriggerSpec(_Strict):
    kind: Literal["manual", "email_command", "calendly_booking"] = "manual"
    # For email commands: the SOP names a team member's message may use (case-insensitive).
    phrases: list[Text] = Field(default_factory=list)
    description: Text

    _templates = field_validator("description")(check_template)


class GuardSpec(_Strict):
    stages: list[Stage] = Field(default_factory=list)
    # "contacts": the engagement has contacts with email addresses; "agreement_ready": its
    # services agreement is marked ready to sign (the refusal names what is missing).
    requires: list[Literal["contacts", "agreement_ready"]] = Field(default_factory=list)


@dataclass(frozen=True)
class StepReference:
    """A field of a step that names another step of the playbook, which must be of `kind` (and,
    with `earlier`, come before it)."""

    field: str
    kind: str
    earlier: bool = True


class StepSpecBase(_Strict):
    """What every step has. A step kind is one module: its spec (a subclass with
    `kind: Literal["..."]`), its preview and execute, registered in playbooks/steps/__init__.py."""

    id: Name
    # Which step kind: each kind's spec narrows it to its own name (a Literal).
    kind: str
    # What partnerdesk does, in run reports and the dry-run.
    title: Text
    # The handbook's items this step carries out, in the handbook's words and order: the rendered
    # handbook lists these (the title under them, as what partnerdesk does). Left out: the title is
    # the handbook's item. Empty: a step of the automation only, marked so in the handbook.
    handbook: list[Text] | None = None
    # The fields that name other steps: checked when the playbook loads (check_references).
    references: ClassVar[tuple[StepReference, ...]] = ()

    _templates = field_validator("title")(check_template)
    _handbook_templates = field_validator("handbook")(check_handbook_template)


def step_specs_use(models: Iterable[type[StepSpecBase]]) -> None:
    """Make PlaybookSpec's steps the union of these specs, discriminated by `kind`: called by
    playbooks/steps/__init__.py whenever a step kind is added, so a playbook validates exactly the
    kinds the engine can run."""
    union: Any = Union[tuple(models)]  # noqa: UP007 - the kinds are known at run time
    steps = list[Annotated[union, Field(discriminator="kind")]]
    PlaybookSpec.model_fields["steps"] = FieldInfo.from_annotated_attribute(steps, Field(min_length=1))
    PlaybookSpec.model_rebuild(force=True)


class PlaybookSpec(_Strict):
    name: Name
    title: Text
    phase: Literal["lead", "prospect", "partner"]
    description: Text
    trigger: TriggerSpec
    guards: GuardSpec = GuardSpec()
    # How the handbook writes the SOP's items: a numbered list (an action script) or bullets.
    handbook_list: Literal["numbered", "bulleted"] = "numbered"

    _templates = field_validator("title", "description")(check_template)
    creates_engagement: bool = False
    steps: list[StepSpecBase] = Field(min_length=1)  # every registered kind: step_specs_use

    def step(self, step_id: str) -> Any:
        return next(step for step in self.steps if step.id == step_id)

    def check_references(self) -> list[str]:
        """Cross-step problems: duplicate ids, references to steps that are missing, of another
        kind, or (where it matters) not earlier."""
        problems = []
        seen: dict[str, str] = {}
        every = {step.id: step.kind for step in self.steps}
        for index, step in enumerate(self.steps):
            where = f"steps[{index}] (id {step.id!r})"
            if step.id in seen:
                problems.append(f"{where}.id: another step already has this id")
            for reference in step.references:
                value = getattr(step, reference.field)
                named = [value] if isinstance(value, str) else list(value)
                found = seen if reference.earlier else every
                for name in named:
                    if found.get(name) != reference.kind:
                        earlier = "earlier " if reference.earlier else ""
                        problems.append(
                            f"{where}.{reference.field}: no {earlier}{reference.kind} step with id {name!r}"
                        )
            seen[step.id] = step.kind
        return problems


@dataclass(frozen=True)
class PlaybookLoadError:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _location(spec_data: dict[str, Any], location: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    steps = spec_data.get("steps") if isinstance(spec_data, dict) else None
    index = 0
    while index < len(location):
        part = location[index]
        if part == "steps" and index + 1 < len(location) and isinstance(location[index + 1], int):
            number = location[index + 1]
            assert isinstance(number, int)
            step_id = None
            if isinstance(steps, list) and number < len(steps) and isinstance(steps[number], dict):
                step_id = steps[number].get("id")
            parts.append(f"steps[{number}]" + (f" (id {step_id!r})" if step_id else ""))
            index += 2
            # Skip pydantic's union tag (e.g. "send_email") that follows the index.
            if index < len(location) and isinstance(steps, list) and number < len(steps):
                step = steps[number]
                if isinstance(step, dict) and location[index] == step.get("kind"):
                    index += 1
            continue
        parts.append(str(part))
        index += 1
    return ".".join(parts).replace("from_", "from").replace("with_", "with") or "(top level)"


def parse_playbook(path: Path) -> PlaybookSpec:
    """One playbook file; raises ValueError with every problem, one per line, each naming the file."""
    from partnerdesk.playbooks.steps import step_kinds  # the kinds' modules build on this one

    step_kinds()  # the step specs a playbook may use, known before it is validated
    data = read_toml(path)
    spec = validate(path, PlaybookSpec, data, location=lambda loc: _location(data, loc))
    problems = [f"{path}: {problem}" for problem in spec.check_references()]
    if spec.name != path.stem:
        problems.append(f"{path}: name: {spec.name!r} must match the file name {path.stem!r}")
    if problems:
        raise ValueError("\n".join(problems))
    return spec


@dataclass
class PlaybookLibrary:
    playbooks: dict[str, PlaybookSpec]
    errors: list[PlaybookLoadError]
    sources: dict[str, Path]

    def get(self, name: str) -> PlaybookSpec:
        try:
            return self.playbooks[name]
        except KeyError:
            broken = [e for e in self.errors if e.path.stem == name]
            if broken:
                raise LookupError(f"playbook {name!r} is invalid: {broken[0].message}") from None
            known = ", ".join(sorted(self.playbooks)) or "none"
            raise LookupError(f"no playbook named {name!r} (known: {known})") from None

    def in_order(self) -> list[PlaybookSpec]:
        phase_order = list(PHASES)
        return sorted(
            self.playbooks.values(), key=lambda p: (phase_order.index(p.phase), _ORDER.get(p.name, 99))
        )


# The handbook's SOPs in its order: the playbooks, and the partner-phase SOPs that the
# partnership ticklers carry out (described by playbooks/handbook/*.toml). Playbooks a team adds,
# and technical-exchange, are partnerdesk's own and come after them.
HANDBOOK_SOPS = (
    "hail-the-lead",
    "create-running-notes",
    "meet-with-lead",
    "send-draft-contract",
    "service-agreement-negotiation",
    "docusign-agreement",
    "launch-meeting",
    "invoicing",
    "satisfaction-check-in",
    "renewal-tickler-system",
)
_ORDER = {name: index for index, name in enumerate(HANDBOOK_SOPS)}


def load_library(folders: Iterable[Path]) -> PlaybookLibrary:
    """Every *.toml in the folders, later folders overriding earlier ones by file name."""
    files: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                files[path.stem] = path
    playbooks: dict[str, PlaybookSpec] = {}
    errors: list[PlaybookLoadError] = []
    for name, path in files.items():
        try:
            playbooks[name] = parse_playbook(path)
        except ValueError as exc:
            errors.extend(
                PlaybookLoadError(path, line.removeprefix(f"{path}: ")) for line in str(exc).splitlines()
            )
    return PlaybookLibrary(playbooks, errors, files)
