"""API models of the operations reads: executions step by step, dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from shared.links import console_url
from shared.schemas.base import ApiModel
from shared.usecases.dead_letters import QueueReport, Redrive
from shared.usecases.executions import ExecutionInfo, ExecutionSteps, Step


class ExecutionRun(ApiModel):
    name: str
    arn: str
    state_machine: str
    status: str = Field(description="RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
    started_at: datetime
    stopped_at: datetime | None
    error: str | None
    cause: str | None
    console_url: str | None = Field(description="The execution in the AWS console; null on the embedded stack")

    @classmethod
    def of(cls, e: ExecutionInfo) -> ExecutionRun:
        return cls(
            name=e.name,
            arn=e.arn,
            state_machine=e.state_machine,
            status=e.status,
            started_at=e.started_at,
            stopped_at=e.stopped_at,
            error=e.error,
            cause=e.cause,
            console_url=console_url(e.arn),
        )


class ExecutionList(ApiModel):
    executions: list[ExecutionRun]


class StepView(ApiModel):
    name: str
    type: str = Field(description="The ASL state type: Task, Choice, Map, Pass, Succeed, Fail, ...")
    iteration: int | None = Field(description="The Map iteration (shipment) the state ran in; null outside a Map")
    entered_at: datetime
    exited_at: datetime | None
    duration_ms: int | None
    outcome: str = Field(
        description="succeeded; caught (its task failed and a Catch took over); failed; running (not left yet)"
    )
    attempts: int = Field(description="Task attempts")
    retries: int = Field(description="Attempts after the first (the state's Retry policy)")
    error: str | None = Field(description="The last failed attempt's error")
    cause: str | None
    input: Any = Field(description="The state's input, personal data masked")
    output: Any = Field(description="The state's output, personal data masked")

    @classmethod
    def of(cls, s: Step) -> StepView:
        return cls(
            name=s.name,
            type=s.type,
            iteration=s.iteration,
            entered_at=s.entered_at,
            exited_at=s.exited_at,
            duration_ms=s.duration_ms,
            outcome=s.outcome,
            attempts=s.attempts,
            retries=s.retries,
            error=s.error,
            cause=s.cause,
            input=s.input,
            output=s.output,
        )


class ExecutionDetail(ApiModel):
    execution: ExecutionRun
    steps: list[StepView]

    @classmethod
    def of(cls, e: ExecutionSteps) -> ExecutionDetail:
        return cls(execution=ExecutionRun.of(e.execution), steps=[StepView.of(s) for s in e.steps])


class DeadLetterSample(ApiModel):
    message_id: str
    body: Any = Field(description="The message, personal data masked")
    sent_at: datetime
    age_s: int
    receive_count: int
    failure_reason: str


class DeadLetterQueueView(ApiModel):
    queue: str
    count: int
    oldest_age_s: int | None = Field(description="Age of the oldest sampled message; null when empty")
    samples: list[DeadLetterSample]


class DeadLetters(ApiModel):
    queues: list[DeadLetterQueueView]

    @classmethod
    def of(cls, reports: list[QueueReport]) -> DeadLetters:
        return cls(
            queues=[
                DeadLetterQueueView(
                    queue=r.queue,
                    count=r.count,
                    oldest_age_s=r.oldest_age_s,
                    samples=[DeadLetterSample(**vars(s)) for s in r.samples],
                )
                for r in reports
            ]
        )


class RedriveRequest(ApiModel):
    limit: int = Field(default=100, ge=1, le=1000, description="Move at most this many messages")


class RedriveResult(ApiModel):
    queue: str
    moved: int
    remaining: int = Field(description="Messages left in the dead-letter queue (approximate)")

    @classmethod
    def of(cls, r: Redrive) -> RedriveResult:
        return cls(queue=r.queue, moved=r.moved, remaining=r.remaining)
