"""Auditors' tools: replay journeys with this code, cross-check the log, export evidence.

- `fetch_runs` fetches every run of a journey (a long commitment continues as new).
- `replay_many` replays histories with the worker's workflows and data converter, in several
  processes when asked, and gives one verdict per workflow run: deterministic or not, and why.
- `export_bundle` writes one zip an auditor can keep: the histories, the stream's events as
  JSON Lines, its chain head, the definition the journey ran under, the code version, and a
  manifest of SHA-256 digests. `check_bundle` replays and verifies it with no server at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import json
import multiprocessing
import re
import subprocess
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from activities.eventstore import ChainVerdict, StoredEvent, verify_chain
from activities.person_keys import SEALED
from domain.audit import Discrepancy, StoredView, cross_check
from domain.events import AppendEvents, NewEvent
from domain.privacy import ERASED, erased, masked, personal_part
from pathways.temporal import converter_with, runtime
from workflows.journal import APPEND_EVENTS

BUNDLE_FORMAT = 1
REQUIRED_FILES = {"events.jsonl", "chain_head.json", "definition.json", "code_version.json"}


class BundleError(ValueError):
    """A bundle that cannot be trusted or read, named by what is wrong."""


async def appended_in_history(history: WorkflowHistory, keys: Path | None = None) -> list[NewEvent]:
    """The events of every `append_events` activity the history scheduled, in order (`keys`:
    the payload key ring, for encrypted histories)."""
    converter = converter_with(keys)
    events: list[NewEvent] = []
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        attributes = event.activity_task_scheduled_event_attributes
        if attributes.activity_type.name != APPEND_EVENTS:
            continue
        (request,) = await converter.decode(attributes.input.payloads, [AppendEvents])
        events.extend(request.events)
    return events


async def cross_check_runs(
    runs: Sequence[WorkflowHistory], stored: Sequence[StoredEvent], keys: Path | None = None
) -> tuple[list[NewEvent], list[Discrepancy]]:
    """What every run appended, and each way the stored events differ from it."""
    appended: list[NewEvent] = []
    for run in runs:
        appended += await appended_in_history(run, keys)
    views = [StoredView(e.event_id, e.stream_version, e.event_type, e.payload) for e in stored]
    by_id = {e.event_id: e for e in stored}
    return appended, cross_check([_as_kept(a, by_id) for a in appended], views)


def _as_kept(appended: NewEvent, stored: Mapping[UUID, StoredEvent]) -> NewEvent:
    """What the history appended, as the log can be compared with it: the personal fields its
    person's erasure left unreadable erased here too (an erasure is not a discrepancy), and,
    where the log's personal fields are sealed and not opened here (a bundle checked without
    the key ring), the same fields in the box the log's hash covers (the rest is compared)."""
    found = stored.get(appended.event_id)
    if found is None:
        return appended
    box = found.payload.get(SEALED)
    if isinstance(box, dict):
        mine = personal_part(appended.event_type, appended.payload)
        if sorted(mine) != box.get("fields"):
            return appended  # other personal fields: a discrepancy
        rest = {k: v for k, v in appended.payload.items() if k not in mine}
        return appended.model_copy(update={"payload": {**rest, SEALED: box}})
    kept = personal_part(appended.event_type, found.payload)
    gone = [name for name, value in kept.items() if value in (ERASED, [ERASED])]
    if not gone:
        return appended
    payload = {**appended.payload, **erased(appended.event_type, gone)}
    return appended.model_copy(update={"payload": payload})


async def fetch_runs(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of the workflow, first to last, following continue-as-new."""
    handle = client.get_workflow_handle(workflow_id)
    description = await handle.describe()
    run_id: str | None = description.raw_description.workflow_execution_info.first_run_id
    runs: list[WorkflowHistory] = []
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.append(history)
        attrs = history.events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = attrs.new_execution_run_id or None
    return runs


async def histories_for_query(client: Client, query: str) -> list[WorkflowHistory]:
    """The history of every workflow run a visibility query finds, e.g. a program year's."""
    return [history async for history in client.list_workflows(query).map_histories()]


# --- replay --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayVerdict:
    workflow_id: str
    run_id: str
    workflow_type: str
    history_events: int
    deterministic: bool
    event_id: int | None = None  # the history event where the code disagreed, when known
    event_type: str | None = None
    reason: str | None = None

    def line(self) -> str:
        where = f" at history event {self.event_id} ({self.event_type})" if self.event_id else ""
        if self.deterministic:
            return f"{self.workflow_id} ({self.workflow_type}): deterministic"
        return f"{self.workflow_id} ({self.workflow_type}): NOT DETERMINISTIC{where}: {self.reason}"


_MESSAGE = re.compile(r'message: "(.*?)", source')  # the core's text inside its wrapper


def _verdict(history: WorkflowHistory, failure: Exception | None) -> ReplayVerdict:
    started = history.events[0].workflow_execution_started_event_attributes
    run_id = history.events[0].workflow_execution_started_event_attributes.original_execution_run_id
    common = dict(
        workflow_id=history.workflow_id,
        run_id=run_id,
        workflow_type=started.workflow_type.name,
        history_events=len(history.events),
    )
    if failure is None:
        return ReplayVerdict(**common, deterministic=True)  # type: ignore[arg-type]
    text = " ".join(str(failure).split())
    found = _MESSAGE.search(text)
    return ReplayVerdict(
        **common,  # type: ignore[arg-type]
        deterministic=False,
        reason=found.group(1) if found else text,
    )


def load_workflows(spec: str | None = None) -> list[type]:
    """The worker's workflows, or the classes a spec names ("module:Class,module:Class"),
    e.g. a candidate version of a workflow to try against recorded journeys."""
    if not spec:
        from workflows.registry import WORKFLOWS

        return list(WORKFLOWS)
    classes = []
    for item in spec.split(","):
        module, _, name = item.strip().partition(":")
        classes.append(getattr(importlib.import_module(module), name))
    return classes


async def replay_serial(
    histories: Iterable[WorkflowHistory],
    workflows: Sequence[type] | None = None,
    keys: Path | None = None,
) -> list[ReplayVerdict]:
    """One `Replayer` over the histories, in this process (`keys`: the payload key ring an
    encrypted history needs)."""
    from pathways.payload_codec import PayloadKeyError, sealed_with

    histories = list(histories)
    if keys is None:
        for h in histories:
            started = h.events[0].workflow_execution_started_event_attributes
            kid = sealed_with(started.input.payloads)
            if kid is not None:
                raise PayloadKeyError(
                    f"{h.workflow_id}'s history is encrypted (payload key {kid}): replaying it "
                    "needs the district's key ring (PAYLOAD_KEYS)"
                )
    from temporalio.worker import Replayer

    if workflows is None:
        workflows = load_workflows()
    replayer = Replayer(
        workflows=list(workflows), data_converter=converter_with(keys), runtime=runtime()
    )
    verdicts: list[ReplayVerdict] = []
    failed: list[tuple[int, WorkflowHistory]] = []
    async with replayer.workflow_replay_iterator(_aiter(histories)) as results:
        async for result in results:
            verdict = _verdict(result.history, result.replay_failure)
            if not verdict.deterministic:
                failed.append((len(verdicts), result.history))
            verdicts.append(verdict)
    for index, history in failed:  # after the iterator's replay worker has shut down
        verdicts[index] = await _locate(replayer, history, verdicts[index])
    return verdicts


async def _locate(replayer: Any, history: WorkflowHistory, verdict: ReplayVerdict) -> ReplayVerdict:
    """Find the history event where the code first disagrees: replay ever shorter prefixes
    (cut at workflow task starts) until the shortest failing one; the culprit is the first
    event the task before that cut recorded. About log2(tasks) replays, failures only."""
    events = list(history.events)
    cuts = [
        i + 1
        for i, e in enumerate(events)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    ] + [len(events)]

    async def fails(cut: int) -> bool:
        prefix = WorkflowHistory(history.workflow_id, events[:cut])
        result = await replayer.replay_workflow(prefix, raise_on_replay_failure=False)
        return result.replay_failure is not None

    low, high = 0, len(cuts) - 1
    if not await fails(cuts[high]):
        return verdict
    while low < high:
        middle = (low + high) // 2
        if await fails(cuts[middle]):
            high = middle
        else:
            low = middle + 1
    cut = cuts[high]
    completed = [
        i
        for i, e in enumerate(events[:cut])
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    index = completed[-1] + 1 if completed else 0
    culprit = events[min(index, len(events) - 1)]
    name = EventType.Name(culprit.event_type).removeprefix("EVENT_TYPE_")
    return ReplayVerdict(
        workflow_id=verdict.workflow_id,
        run_id=verdict.run_id,
        workflow_type=verdict.workflow_type,
        history_events=verdict.history_events,
        deterministic=False,
        event_id=culprit.event_id,
        event_type=name,
        reason=verdict.reason,
    )


async def _aiter(items: Iterable[WorkflowHistory]) -> Any:
    for item in items:
        yield item


def _replay_chunk(
    chunk: list[tuple[str, str]], spec: str | None, keys: Path | None
) -> list[dict[str, Any]]:
    """In a worker process: replay (workflow id, history JSON) pairs."""
    histories = [WorkflowHistory.from_json(wid, text) for wid, text in chunk]
    verdicts = asyncio.run(replay_serial(histories, load_workflows(spec), keys))
    return [asdict(v) for v in verdicts]


async def replay_many(
    histories: Sequence[WorkflowHistory],
    processes: int = 1,
    on_done: Callable[[int], None] | None = None,
    workflows: str | None = None,
    keys: Path | None = None,
) -> list[ReplayVerdict]:
    """Replay here, or in `processes` spawned processes each with its own Replayer; the
    verdicts come back in the histories' order. `workflows` names other workflow classes
    than the worker's (see `load_workflows`)."""
    if processes <= 1:
        verdicts = await replay_serial(histories, load_workflows(workflows), keys)
        if on_done is not None:
            on_done(len(verdicts))
        return verdicts
    pairs = [(h.workflow_id, h.to_json()) for h in histories]
    size = max(1, min(200, -(-len(pairs) // (processes * 4))))
    chunks = [pairs[i : i + size] for i in range(0, len(pairs), size)]
    context = multiprocessing.get_context("spawn")  # the Temporal runtime does not survive fork
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = [
            asyncio.wrap_future(pool.submit(_replay_chunk, chunk, workflows, keys))
            for chunk in chunks
        ]
        if on_done is not None:
            for future in futures:
                future.add_done_callback(
                    lambda f: on_done(len(f.result())) if not f.exception() else None
                )
        done = await asyncio.gather(*futures)
    return [ReplayVerdict(**d) for chunk in done for d in chunk]


# --- export bundles ------------------------------------------------------------------------


def code_version() -> dict[str, Any]:
    """What code ran: the package version, the git commit if known, and a digest of the
    workflow and domain sources (what replay depends on)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("workflows", "domain"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".toml"}:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())

    def git(*args: str) -> str | None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):  # not a git checkout
            return subprocess.run(
                ["git", "-C", str(root), *args],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.strip()
        return None

    commit = git("rev-parse", "HEAD")
    changes = git("status", "--porcelain", "--", "workflows", "domain")
    return {
        "package": "pathways",
        "version": metadata.version("pathways"),
        "git_commit": commit,
        "uncommitted_changes": bool(changes) if changes is not None else None,
        "sources_sha256": digest.hexdigest(),
    }


def event_json(e: StoredEvent) -> dict[str, Any]:
    return {
        "global_position": e.global_position,
        "stream_id": e.stream_id,
        "stream_version": e.stream_version,
        "event_id": str(e.event_id),
        "event_type": e.event_type,
        "schema_version": e.schema_version,
        "payload": e.as_stored,
        "metadata": e.metadata,
        "recorded_at": e.recorded_at.isoformat(),
        "prev_hash": e.prev_hash.hex(),
        "hash": e.hash.hex(),
        "log_seq": e.log_seq,
        "log_hash": e.log_hash.hex(),
    }


def _event_from_json(d: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        global_position=d["global_position"],
        stream_id=d["stream_id"],
        stream_version=d["stream_version"],
        event_id=UUID(d["event_id"]),
        event_type=d["event_type"],
        schema_version=d["schema_version"],
        payload=d["payload"],
        metadata=d["metadata"],
        recorded_at=datetime.fromisoformat(d["recorded_at"]),
        prev_hash=bytes.fromhex(d["prev_hash"]),
        hash=bytes.fromhex(d["hash"]),
        log_seq=d.get("log_seq", 0),  # bundles exported before the log had one chain
        log_hash=bytes.fromhex(d.get("log_hash", "")),
    )


async def run_input(history: WorkflowHistory, keys: Path | None = None) -> dict[str, Any]:
    """The input the journey started with: its program year, fellowship or service rules."""
    attrs = history.events[0].workflow_execution_started_event_attributes
    (raw,) = await converter_with(keys).decode(attrs.input.payloads, [dict[str, Any]])
    assert isinstance(raw, dict)
    return {"workflow_type": attrs.workflow_type.name, "input": raw}


async def export_bundle(
    runs: Sequence[WorkflowHistory],
    stored: Sequence[StoredEvent],
    dest: Path,
    keys: Path | None = None,
) -> dict[str, Any]:
    """Write the bundle; returns its manifest."""
    if not runs:
        raise BundleError("no history to export")
    workflow_id = runs[0].workflow_id
    verdict = verify_chain(workflow_id, stored)
    head = {
        "stream_id": workflow_id,
        "version": stored[-1].stream_version if stored else 0,
        "hash": stored[-1].hash.hex() if stored else None,
        "global_position": stored[-1].global_position if stored else None,
        "chain_intact_at_export": verdict.ok,
    }
    files: dict[str, bytes] = {}
    for number, run in enumerate(runs, start=1):
        files[f"history/{number:03d}.json"] = run.to_json().encode()
    files["events.jsonl"] = "".join(
        json.dumps(event_json(e), sort_keys=True) + "\n" for e in stored
    ).encode()
    files["chain_head.json"] = json.dumps(head, indent=2).encode()
    definition = await run_input(runs[0], keys)
    if any(e.erased for e in stored):  # its person was erased: so is what their input says
        definition = masked(definition)
    files["definition.json"] = json.dumps(definition, indent=2).encode()
    files["code_version.json"] = json.dumps(code_version(), indent=2).encode()
    about = {"format": BUNDLE_FORMAT, "workflow_id": workflow_id}
    return write_archive(dest, files, {**about, "runs": len(runs), "events": len(stored)})


def write_archive(dest: Path, files: dict[str, bytes], about: dict[str, Any]) -> dict[str, Any]:
    """Write `files` to the zip `dest` with `manifest.json`: `about`, when it was written, and
    each file's SHA-256 (what `read_bundle` checks). Returns the manifest."""
    manifest = {
        **about,
        "exported_at": datetime.now(UTC).isoformat(),
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return manifest


@dataclass
class BundleReport:
    workflow_id: str
    replays: list[ReplayVerdict]
    chain: ChainVerdict
    head_matches: bool
    discrepancies: list[Discrepancy] = field(default_factory=list)
    code: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            all(v.deterministic for v in self.replays)
            and self.chain.ok
            and self.head_matches
            and not self.discrepancies
        )


def read_bundle(
    path: Path,
) -> tuple[
    dict[str, Any], list[WorkflowHistory], list[StoredEvent], dict[str, Any], dict[str, Any]
]:
    """Open a bundle and check every file against its manifest before trusting any of it.

    The manifest is not signed: this finds damage and careless edits. Against a careful forger
    what counts is a chain head kept elsewhere (`check_anchor`, `audit verify --anchor`)."""
    try:
        bundle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise BundleError(f"{path}: not a bundle ({error})") from None
    with bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        if manifest.get("format") != BUNDLE_FORMAT:
            raise BundleError(f"{path}: bundle format {manifest.get('format')} is not known")
        contents = {}
        for name, expected in manifest["sha256"].items():
            data = bundle.read(name)
            if hashlib.sha256(data).hexdigest() != expected:
                raise BundleError(f"{path}: {name} does not match the manifest (altered)")
            contents[name] = data
    workflow_id = manifest["workflow_id"]
    missing = sorted(REQUIRED_FILES - contents.keys())
    if missing:
        raise BundleError(f"{path}: the manifest does not list {', '.join(missing)}")
    runs = [
        WorkflowHistory.from_json(workflow_id, contents[name].decode())
        for name in sorted(n for n in contents if n.startswith("history/"))
    ]
    events = [
        _event_from_json(json.loads(line))
        for line in contents["events.jsonl"].decode().splitlines()
        if line
    ]
    head = json.loads(contents["chain_head.json"])
    code = json.loads(contents["code_version.json"])
    if not runs or len(runs) != manifest.get("runs"):
        raise BundleError(
            f"{path}: {len(runs)} histories, the manifest says {manifest.get('runs')}"
        )
    if len(events) != manifest.get("events"):
        raise BundleError(
            f"{path}: {len(events)} events, the manifest says {manifest.get('events')}"
        )
    strangers = {e.stream_id for e in events} | {head.get("stream_id")}
    strangers.discard(workflow_id)
    if strangers:
        raise BundleError(f"{path}: events or chain head of another stream: {sorted(strangers)}")
    return manifest, runs, events, head, code


async def check_bundle(
    path: Path, workflows: Sequence[type] | None = None, keys: Path | None = None
) -> BundleReport:
    """Replay the bundle's histories with this code, recompute its chain, compare the chain
    head, and cross-check what the histories appended against the exported events."""
    manifest, runs, events, head, code = read_bundle(path)
    workflow_id = manifest["workflow_id"]
    replays = await replay_serial(runs, workflows, keys)
    chain = verify_chain(workflow_id, events)
    last = events[-1] if events else None
    head_matches = (head["version"], head["hash"]) == (
        (last.stream_version, last.hash.hex()) if last else (0, None)
    )
    _appended, problems = await cross_check_runs(runs, events, keys)
    return BundleReport(workflow_id, replays, chain, head_matches, problems, code)


def check_anchor(stored: Sequence[StoredEvent], head: dict[str, Any]) -> str | None:
    """Compare the log with a chain head kept elsewhere (an exported bundle): a deleted tail
    or a rewritten chain shows here even when the rows left are self-consistent."""
    version, digest = head["version"], head["hash"]
    if version == 0:
        return None
    if len(stored) < version:
        return (
            f"the log holds {len(stored)} events but version {version} was exported: "
            f"{version - len(stored)} event(s) deleted from the end"
        )
    at = stored[version - 1]
    if at.hash.hex() != digest:
        return f"version {version} no longer has the exported hash: the chain was rewritten"
    return None
