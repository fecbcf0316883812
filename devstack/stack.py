"""The embedded local stack: moto (server mode, in a process of its own, with the outbox and the
documents mirror beside it), localstripe, the gateway, pollers and simulators, all built from the
topology, started together and stopped together."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from devstack import plan as plan_module
from devstack.faults import FaultPlan, Faults
from devstack.gateway import Gateway
from devstack.invoke_server import InvokeServer
from devstack.localstripe_process import LocalStripe
from devstack.moto_process import MotoProcess
from devstack.order_changes import OrderChanges
from devstack.plan import GatewayRoute
from devstack.pollers import QueuePoller, QueuePollers
from devstack.provision import ACCOUNT, PREFIX, WEBHOOK_SECRET, Resources, function_environment, provision
from devstack.runtime import LambdaRuntime
from devstack.scheduler import Scheduler
from devstack.seed import seed_keys
from devstack.simulators import CarrierSimulator, SimulatorSettings, WarehouseSimulator
from devstack.streams import TableStreamPoller
from shared import topology as t
from shared.bootstrap import STRIPE_API_BASE_ENV, STRIPE_NO_CREATED_FILTER_ENV

REGION = "us-east-1"
SENDER = "orders@waybill.local"
STRIPE_TEST_KEY = "sk_test_waybill_embedded"
log = logging.getLogger("devstack")


def rule_arn(schedule_name: str) -> str:
    return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{PREFIX}-{schedule_name}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class StackCannotStart(Exception):
    """Why this stack cannot start and what to do, in one line; nothing was started or touched."""


class PortInUse(StackCannotStart):
    def __init__(self, port: int) -> None:
        super().__init__(
            f"port {port} is already in use (another Waybill stack or another program): stop it, "
            f"or give this stack another port, e.g. WAYBILL_PORT={free_port()} make dev"
        )
        self.port = port


class StateDirInUse(StackCannotStart):
    def __init__(self, state_dir: Path) -> None:
        running = read_dev_json(state_dir) or {}
        super().__init__(
            f"a Waybill stack is already running from {state_dir} (pid {running.get('pid', '?')}, "
            f"API {running.get('api', '?')}): use it, stop it, or start another with its own "
            "WAYBILL_STATE_DIR and WAYBILL_PORT"
        )


def read_dev_json(state_dir: Path) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads((state_dir / "dev.json").read_text())
    except (OSError, ValueError):
        return None
    return found


def _check_port_free(port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the gateway's server binds it
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUse(port) from None


class _StateLock:
    """An exclusive lock on the state directory for the stack's lifetime. The kernel drops it when
    the process dies, however it dies, so a killed stack never blocks the next one."""

    def __init__(self, state_dir: Path) -> None:
        self._file = (state_dir / "stack.lock").open("a")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise StateDirInUse(state_dir) from None

    def stop(self) -> None:
        self._file.close()


class _Closing:
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def stop(self) -> None:
        self._stream.close()


@dataclass
class EmbeddedStack:
    state_dir: Path
    api_port: int = 4000
    plan: plan_module.LocalPlan = field(default_factory=plan_module.build)
    info: dict[str, Any] = field(default_factory=dict)
    simulators: list[Any] = field(default_factory=list)
    _started: list[Any] = field(default_factory=list)
    _owns_state_dir: bool = False

    @property
    def dev_json(self) -> Path:
        return self.state_dir / "dev.json"

    @property
    def origin(self) -> str:
        """Where the API and the console are served (the local gateway)."""
        return f"http://127.0.0.1:{self.api_port}"

    def start(self) -> dict[str, Any]:
        """Starts everything, or raises StackCannotStart having changed nothing: the state
        directory of a stack already running from it (dev.json, logs, outbox) is left alone."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lock = _StateLock(self.state_dir)
        try:
            _check_port_free(self.api_port)
        except StackCannotStart:
            lock.stop()
            raise
        self._started.append(lock)
        self._owns_state_dir = True
        try:
            return self._start()
        except BaseException:
            self.stop()  # a half-started stack leaves nothing running
            raise

    def _start(self) -> dict[str, Any]:
        began = time.perf_counter()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per emulated AWS call
        moto_port, stripe_port = free_port(), free_port()
        endpoint = f"http://127.0.0.1:{moto_port}"
        # The whole process talks to the emulators: handlers read these exactly as in Lambda.
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": endpoint,
                "MOTO_PORT": str(moto_port),  # inherited by moto's process: its Step Functions call Lambda there
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                # what every function is given alike; each one's own names go to it alone (below)
                **t.COMMON_ENVIRONMENT,
            }
        )
        stripe = LocalStripe(stripe_port, self.state_dir / "localstripe.log")
        stripe.start()
        self._started.append(stripe)
        functions_stripe = stripe.url  # where the functions find Stripe: through the soak's faults if on
        fault_plan = FaultPlan.from_env()
        if fault_plan.on:
            faults = Faults(fault_plan, stripe.url, free_port(), self.state_dir / "faults.json")
            functions_stripe = faults.start()
            self._started.append(faults)

        function_log = (self.state_dir / "functions.log").open("w", buffering=1)  # this run's logs only
        self._started.append(_Closing(function_log))
        runtime = LambdaRuntime(self.plan.functions, arn_of=lambda name: f"{PREFIX}-{name}", log_stream=function_log)
        invoke_server = InvokeServer(runtime)  # stopped after moto, which calls it until it stops
        invoke_url = invoke_server.start()
        self._started.append(invoke_server)
        moto = MotoProcess(moto_port, invoke_url, self.state_dir, REGION)
        moto.start()
        self._started.append(moto)

        # the console is served beside the API: same origin
        res = provision(self.plan, endpoint, REGION, SENDER, STRIPE_TEST_KEY, self.origin)
        runtime.environments.update(self._function_environments(res, functions_stripe))

        gateway = Gateway(self.plan, runtime, REGION, ACCOUNT)
        try:
            gateway.start(self.api_port)
        except SystemExit:  # werkzeug's answer to a port taken since the check above
            raise PortInUse(self.api_port) from None
        self._started.append(gateway)
        pollers = QueuePollers(
            [QueuePoller(p, res.queue_urls[p.queue.name], runtime, endpoint, REGION) for p in self.plan.pollers]
        )
        pollers.start()
        self._started.append(pollers)
        # EventBridge rules are provisioned but moto never fires them: the scheduler does
        speedup = float(os.environ.get("WAYBILL_DEV_SCHEDULE_SPEEDUP", "1"))
        scheduler = Scheduler(self.plan.schedules, runtime.invoke, lambda s: rule_arn(s.name), speedup)
        if os.environ.get("WAYBILL_DEV_SCHEDULES", "on") != "off":
            scheduler.start()
            self._started.append(scheduler)
        order_changes: OrderChanges | None = None
        for stream in self.plan.streams:
            sp = TableStreamPoller(stream, res.tables[stream.table.name], runtime, endpoint, REGION)
            if stream.table.name == t.ORDERS.name and order_changes is None:
                order_changes = OrderChanges()
                sp.listeners.append(order_changes.saw)
            sp.start()
            self._started.append(sp)
        moto.start_mirrors(res.buckets[t.DOCUMENTS.name])  # the outbox and the documents folder

        keys = seed_keys(boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION), res)
        self.runtime, self.resources, self.moto = runtime, res, moto
        sims = SimulatorSettings.from_env()
        if sims.enabled:
            api = f"http://127.0.0.1:{self.api_port}"
            queues = res.queue_urls
            topic = res.topic_arns[t.FULFILMENT_TOPIC.name]
            warehouse = WarehouseSimulator(endpoint, REGION, topic, queues[t.EVENTS.name], api, keys, sims)

            def node_saved(route: GatewayRoute, params: dict[str, str], status: int) -> None:
                # a node's warehouse integration subscribes as soon as the node exists, before any order
                if (route.method, route.path) == ("PUT", "/v1/nodes/{node_id}") and status < 300:
                    warehouse.watch(params["node_id"])

            gateway.observers.append(node_saved)
            self.simulators = [
                warehouse,
                CarrierSimulator(endpoint, REGION, res.buckets[t.DOCUMENTS.name], api, keys, sims),
            ]
            for sim in self.simulators:
                sim.changes = order_changes
                sim.start()
                self._started.append(sim)
        self.info = {
            "api": self.origin,
            "console": f"{self.origin}/console/",
            "moto": endpoint,
            "localstripe": stripe.url,
            "region": REGION,
            "outbox": str((self.state_dir / "outbox").resolve()),
            "documents": str((self.state_dir / "documents").resolve()),
            "function_log": str(function_log.name),
            "keys": keys,
            "resources": {
                "tables": res.tables,
                "queues": res.queue_urls,
                "topics": res.topic_arns,
                "dead_letter_queues": res.dlq_urls,
                "buckets": res.buckets,
                "state_machines": res.state_machines,
                "secrets": res.secrets,
                "email_templates": res.templates,
                "fact_stores": res.fact_stores,
            },
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "simulators": {"enabled": sims.enabled, "step_s": sims.step_s, "reject_rate": sims.reject_rate},
            "schedules": {
                "speedup": speedup,
                "running": os.environ.get("WAYBILL_DEV_SCHEDULES", "on") != "off",
                "rules": [
                    {"name": s.name, "expression": s.expression, "function": s.function, "rule": rule_arn(s.name)}
                    for s in self.plan.schedules
                ],
            },
            "pid": os.getpid(),
            "processes": {"localstripe": stripe.pid, "moto": moto.pid},
            "startup_s": round(time.perf_counter() - began, 2),
        }
        # written whole and then renamed: a reader polling for the file never sees half of it
        partial = self.dev_json.with_suffix(".tmp")
        partial.write_text(json.dumps(self.info, indent=2))
        partial.replace(self.dev_json)
        return self.info

    def _function_environments(self, res: Resources, stripe_url: str) -> dict[str, dict[str, str]]:
        """Each function's own environment, as the CDK stack sets it (plus where Stripe is, for
        the functions that read its secret): a function never sees another one's names."""
        envs = {}
        for fn in self.plan.functions:
            env = function_environment(fn, res, SENDER, self.origin)
            if t.STRIPE.env in env:
                env[STRIPE_API_BASE_ENV] = stripe_url
                env[STRIPE_NO_CREATED_FILTER_ENV] = "1"  # localstripe rejects it (README: differences)
            if t.ANALYTICS_ENGINE_ENV in env:
                # the reports run on DuckDB over the emulated S3 (no Athena here)
                env[t.ANALYTICS_ENGINE_ENV] = "duckdb"
            # Tests and demos shorten how long a silent warehouse or a slow parcel is waited for.
            for name in fn.environment:
                override = os.environ.get(f"WAYBILL_DEV_{name}")
                if override:
                    env[name] = override
            envs[fn.name] = env
        return envs

    def flush_mirrors(self) -> None:
        """The outbox and the documents folder, up to date now."""
        self.moto.flush_mirrors()

    def stop(self) -> None:
        if self._owns_state_dir:  # its lock is the last part stopped
            with contextlib.suppress(FileNotFoundError):
                self.dev_json.unlink()
        while self._started:
            part = self._started.pop()
            try:
                part.stop()
            except Exception:  # keep stopping the rest
                log.exception("stopping %s failed", type(part).__name__)
