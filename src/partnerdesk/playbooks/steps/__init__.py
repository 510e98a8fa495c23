"""The step kinds, in one table. A step kind is one module: its spec (a StepSpecBase subclass
with `kind: Literal["..."]`, validated when a playbook loads), `preview` (what it would do, writing
nothing) and `execute` (do it, carrying the step's idempotency key into every side effect, so a
repeat is a no-op). Playbooks' own kinds are listed in `_builtin_kinds`; an app above playbooks
registers its own with `step_kind_register` in its AppConfig.ready (technical/playbook_step.py,
integrations/docusign/playbook_step.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from partnerdesk.playbooks.context import RunContext
from partnerdesk.playbooks.specs import StepSpecBase, step_specs_use


@dataclass
class StepOutcome:
    detail: str
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepKind:
    spec: type[StepSpecBase]
    preview: Callable[[Any, RunContext], list[str]]
    execute: Callable[[Any, RunContext, str], StepOutcome]
    # It calls a remote service (DocuSign, Google Drive): it runs outside the engine's transaction
    # and keeps its own rows (the attempt before the call, the outcome after), so a failure or a
    # crash never rolls back the record of a call that may have happened.
    calls_out: bool = False

    @property
    def name(self) -> str:
        return str(self.spec.model_fields["kind"].annotation.__args__[0])  # type: ignore[union-attr]


def _builtin_kinds() -> list[StepKind]:
    # Imported here, not at the top: each of these modules imports StepOutcome from this package.
    from partnerdesk.playbooks.steps import agreements, documents, email, pipeline

    return [
        StepKind(email.SendEmailStep, email.preview_send_email, email.execute_send_email),
        StepKind(email.CheckStep, email.preview_check, email.execute_check),
        StepKind(
            documents.EnsureFolderStep,
            documents.preview_ensure_folder,
            documents.execute_ensure_folder,
            calls_out=True,
        ),
        StepKind(
            documents.CopyTemplateStep,
            documents.preview_copy_template,
            documents.execute_copy_template,
            calls_out=True,
        ),
        StepKind(documents.ShareStep, documents.preview_share, documents.execute_share, calls_out=True),
        StepKind(
            documents.AppendRunningNoteStep,
            documents.preview_running_note,
            documents.execute_running_note,
            calls_out=True,
        ),
        StepKind(pipeline.SetStageStep, pipeline.preview_set_stage, pipeline.execute_set_stage),
        StepKind(pipeline.CreateTaskStep, pipeline.preview_create_task, pipeline.execute_create_task),
        StepKind(
            agreements.CreateAgreementStep,
            agreements.preview_create_agreement,
            agreements.execute_create_agreement,
        ),
        StepKind(
            agreements.SetAgreementStatusStep,
            agreements.preview_set_agreement_status,
            agreements.execute_set_agreement_status,
        ),
    ]


_kinds: dict[str, StepKind] = {}


def step_kind_register(step_kind: StepKind) -> None:
    """Add a step kind (an app's own, from its AppConfig.ready); playbooks may use it from now on."""
    step_kinds()
    _kinds[step_kind.name] = step_kind
    step_specs_use(kind.spec for kind in _kinds.values())


def step_kinds() -> dict[str, StepKind]:
    """Every step kind a playbook may use, by the `kind` its spec names (a copy: the table itself
    changes only through step_kind_register)."""
    if not _kinds:
        _kinds.update((kind.name, kind) for kind in _builtin_kinds())
        step_specs_use(kind.spec for kind in _kinds.values())
    return dict(_kinds)
