"""Worker Versioning: which build a worker is, and which build new journeys go to.

Every worker belongs to a Temporal worker deployment (`PATHWAYS_DEPLOYMENT_NAME`) as one build
(`PATHWAYS_BUILD_ID`, or the package version and git commit). A journey is pinned to the build
it started on and runs there to its end; the service commitment, which runs for years, moves to
the current build each time it continues as new. Making a new build current (`promote`) sends
new journeys to it; pinned journeys drain on the old build's workers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.api.enums.v1 import VersionDrainageStatus, WorkerDeploymentVersionStatus
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import WorkerDeploymentConfig

from pathways.config import Settings


class DeploymentRefused(Exception):
    """Temporal would not change the deployment; the message says why and what to do."""


def default_build_id() -> str:
    """`<package version>-<git commit>`, with a digest of the workflow and domain sources when
    they differ from the commit (or when there is no git checkout)."""
    from pathways.audit import code_version

    code = code_version()
    sources = str(code["sources_sha256"])[:12]
    commit = code["git_commit"]
    if not commit:
        return f"{code['version']}-src{sources}"
    dirty = f"-src{sources}" if code["uncommitted_changes"] else ""
    return f"{code['version']}-{str(commit)[:12]}{dirty}"


def worker_version(settings: Settings) -> WorkerDeploymentVersion:
    return WorkerDeploymentVersion(
        settings.deployment_name, settings.build_id or default_build_id()
    )


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """How a worker joins its deployment: journeys pinned by default; None when versioning is
    off (the worker then takes the task queue's unversioned tasks)."""
    if not settings.worker_versioning:
        return None
    return WorkerDeploymentConfig(
        version=worker_version(settings),
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.PINNED,
    )


def stack_deployment(settings: Settings) -> WorkerDeploymentConfig | None:
    """`make up`'s one worker follows the code in its folder, unversioned, unless
    PATHWAYS_WORKER_VERSIONING is set (to practise a rollout on the local stack)."""
    if "worker_versioning" not in settings.model_fields_set:
        return None
    return deployment_config(settings)


@dataclass(frozen=True)
class BuildState:
    build_id: str
    status: str  # current, ramping, draining, drained, inactive
    since: datetime | None


@dataclass(frozen=True)
class DeploymentState:
    name: str
    current: str | None  # the build new journeys start on; None means unversioned workers
    builds: list[BuildState]


_STATUS = {
    WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT: "current",
    WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_RAMPING: "ramping",
    WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING: "draining",
    WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED: "drained",
    WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE: "inactive",
}
_DRAINAGE = {
    VersionDrainageStatus.VERSION_DRAINAGE_STATUS_DRAINING: "draining",
    VersionDrainageStatus.VERSION_DRAINAGE_STATUS_DRAINED: "drained",
}


async def describe(client: Client, deployment: str) -> DeploymentState:
    """The deployment's builds and which is current; refused if no worker ever joined it."""
    try:
        answer = await client.workflow_service.describe_worker_deployment(
            DescribeWorkerDeploymentRequest(namespace=client.namespace, deployment_name=deployment)
        )
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            raise DeploymentRefused(
                f"no worker has joined deployment {deployment!r} yet; start one with "
                "PATHWAYS_WORKER_VERSIONING=true"
            ) from None
        raise
    info = answer.worker_deployment_info
    routing = info.routing_config
    current = (
        routing.current_deployment_version.build_id
        if routing.HasField("current_deployment_version")
        else None
    )
    builds = []
    for summary in info.version_summaries:
        status = _STATUS.get(summary.status, "inactive")
        if status == "draining":  # the drainage check is what says it has no journeys left
            status = _DRAINAGE.get(summary.drainage_info.status, status)
        since = summary.current_since_time if status == "current" else summary.create_time
        builds.append(
            BuildState(
                summary.deployment_version.build_id,
                status,
                since.ToDatetime(tzinfo=UTC) if since.seconds else None,
            )
        )
    builds.sort(key=lambda b: b.since or datetime.min.replace(tzinfo=UTC), reverse=True)
    return DeploymentState(info.name, current, builds)


async def promote(
    client: Client,
    deployment: str,
    build_id: str,
    identity: str,
    *,
    allow_missing_queues: bool = False,
) -> str | None:
    """Make `build_id` the build new journeys start on; returns the build that was current.

    Temporal refuses a build that no worker has polled with yet: start its workers first. It
    also refuses one whose workers do not poll every task queue the current build's do (a build
    from before the bulk queue, rolled back to) unless `allow_missing_queues`: the journeys on
    such a queue then wait for a worker that polls it."""
    try:
        answer = await client.workflow_service.set_worker_deployment_current_version(
            SetWorkerDeploymentCurrentVersionRequest(
                namespace=client.namespace,
                deployment_name=deployment,
                build_id=build_id,
                identity=identity,
                ignore_missing_task_queues=allow_missing_queues,
            )
        )
    except RPCError as error:
        if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise DeploymentRefused(
                f"cannot make build {build_id!r} of deployment {deployment!r} current: "
                f"{error.message}. Start its workers first (PATHWAYS_BUILD_ID={build_id} "
                "python worker.py) and try again; a build whose workers do not poll a queue "
                "the current build's do is made current with --allow-missing-queues."
            ) from None
        raise
    previous = answer.previous_deployment_version.build_id
    return previous or None


async def running_on(client: Client, deployment: str, build_id: str) -> int:
    """How many journeys still run on a build (from visibility, which may lag a few seconds);
    when it reaches 0 and the build is not current, its workers can stop."""
    query = (
        "ExecutionStatus = 'Running' AND "
        f"TemporalWorkerDeploymentVersion = '{deployment}:{build_id}'"
    )
    return (await client.count_workflows(query)).count


async def promote_once_polled(
    client: Client, deployment: str, build_id: str, identity: str, seconds: float = 30
) -> str | None:
    """`promote`, retried while the build's just-started workers have not polled yet."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            return await promote(client, deployment, build_id, identity)
        except DeploymentRefused:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def current_or_promote(client: Client, deployment: str, build_id: str, identity: str) -> str:
    """The deployment's current build; `build_id` becomes it when there is none yet (the first
    versioned worker of a deployment)."""
    try:
        current = (await describe(client, deployment)).current
    except DeploymentRefused:
        current = None
    if current is None:
        await promote_once_polled(client, deployment, build_id, identity)
        return build_id
    return current
