"""The step kinds. Each has `preview` (what it would do, writing nothing) and `execute` (do it,
carrying the step's idempotency key into every side effect, so a repeat is a no-op)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from partnerdesk.playbooks.context import RunContext


@dataclass
class StepOutcome:
    detail: str
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepKind:
    preview: Callable[[Any, RunContext], list[str]]
    execute: Callable[[Any, RunContext, str], StepOutcome]
    # It calls a remote service (DocuSign, Google Drive): it runs outside the engine's transaction
    # and keeps its own rows (the attempt before the call, the outcome after), so a failure or a
    # crash never rolls back the record of a call that may have happened.
    calls_out: bool = False


# Step kinds whose work belongs to an app above playbooks (the technical form, the DocuSign
# envelope): the app registers its kind in its AppConfig.ready, so playbooks never imports it.
_registered: dict[str, StepKind] = {}


def step_kind_register(kind: str, step_kind: StepKind) -> None:
    _registered[kind] = step_kind


def step_kinds() -> dict[str, StepKind]:
    """Every step kind a playbook may use, by the `kind` its spec names (playbooks/specs.py)."""
    # Imported here, not at the top: each of these modules imports StepOutcome from this package.
    from partnerdesk.playbooks.steps import agreements, documents, email, pipeline

    return {
        "send_email": StepKind(email.preview_send_email, email.execute_send_email),
        "check": StepKind(email.preview_check, email.execute_check),
        "ensure_folder": StepKind(
            documents.preview_ensure_folder, documents.execute_ensure_folder, calls_out=True
        ),
        "copy_template": StepKind(
            documents.preview_copy_template, documents.execute_copy_template, calls_out=True
        ),
        "share": StepKind(documents.preview_share, documents.execute_share, calls_out=True),
        "append_running_note": StepKind(
            documents.preview_running_note, documents.execute_running_note, calls_out=True
        ),
        "set_stage": StepKind(pipeline.preview_set_stage, pipeline.execute_set_stage),
        "create_task": StepKind(pipeline.preview_create_task, pipeline.execute_create_task),
        "create_agreement": StepKind(
            agreements.preview_create_agreement, agreements.execute_create_agreement
        ),
        "set_agreement_status": StepKind(
            agreements.preview_set_agreement_status, agreements.execute_set_agreement_status
        ),
        **_registered,
    }
