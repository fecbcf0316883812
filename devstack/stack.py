"""The embedded local stack: moto (server mode), localstripe, the gateway, pollers and the outbox,
all built from the topology, started together and stopped together."""

from __future__ import annotations

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
from devstack.gateway import Gateway
from devstack.localstripe_process import LocalStripe
from devstack.moto_server import EmbeddedMotoServer, route_lambda_to
from devstack.outbox import Outbox
from devstack.pollers import QueuePoller
from devstack.provision import ACCOUNT, PREFIX, WEBHOOK_SECRET, Resources, function_environment, provision
from devstack.runtime import LambdaRuntime
from devstack.scheduler import Scheduler
from devstack.seed import seed_keys
from devstack.simulators import CarrierSimulator, SimulatorSettings, WarehouseSimulator
from shared import topology as t

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

    @property
    def dev_json(self) -> Path:
        return self.state_dir / "dev.json"

    def start(self) -> dict[str, Any]:
        try:
            return self._start()
        except BaseException:
            self.stop()  # a half-started stack leaves nothing running
            raise

    def _start(self) -> dict[str, Any]:
        began = time.perf_counter()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per emulated AWS call
        self.state_dir.mkdir(parents=True, exist_ok=True)
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
                "MOTO_PORT": str(moto_port),  # Step Functions' interpreter calls Lambda through it
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
            }
        )
        stripe = LocalStripe(stripe_port, self.state_dir / "localstripe.log")
        stripe.start()
        self._started.append(stripe)

        function_log = (self.state_dir / "functions.log").open("w", buffering=1)  # this run's logs only
        self._started.append(_Closing(function_log))
        runtime = LambdaRuntime(self.plan.functions, arn_of=lambda name: f"{PREFIX}-{name}", log_stream=function_log)
        route_lambda_to(runtime, PREFIX)
        moto = EmbeddedMotoServer(moto_port)
        moto.start()
        self._started.append(moto)

        res = provision(self.plan, endpoint, REGION, SENDER, STRIPE_TEST_KEY)
        self._export_environment(res, stripe.url)

        gateway = Gateway(self.plan, runtime, REGION, ACCOUNT)
        gateway.start(self.api_port)
        self._started.append(gateway)
        for poller in self.plan.pollers:
            qp = QueuePoller(poller, res.queue_urls[poller.queue.name], runtime, endpoint, REGION)
            qp.start()
            self._started.append(qp)
        # EventBridge rules are provisioned but moto never fires them: the scheduler does
        speedup = float(os.environ.get("WAYBILL_DEV_SCHEDULE_SPEEDUP", "1"))
        scheduler = Scheduler(self.plan.schedules, runtime.invoke, lambda s: rule_arn(s.name), speedup)
        if os.environ.get("WAYBILL_DEV_SCHEDULES", "on") != "off":
            scheduler.start()
            self._started.append(scheduler)
        outbox = Outbox(self.state_dir / "outbox", REGION)
        outbox.start()
        self._started.append(outbox)

        keys = seed_keys(boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION), res)
        self.runtime, self.resources, self.outbox = runtime, res, outbox
        sims = SimulatorSettings.from_env()
        if sims.enabled:
            api = f"http://127.0.0.1:{self.api_port}"
            queues = res.queue_urls
            self.simulators = [
                WarehouseSimulator(
                    endpoint,
                    REGION,
                    queues[t.FULFILMENT_REQUESTS.name],
                    queues[t.EVENTS.name],
                    api,
                    keys,
                    sims,
                ),
                CarrierSimulator(endpoint, REGION, res.buckets[t.DOCUMENTS.name], api, keys, sims),
            ]
            for sim in self.simulators:
                sim.start()
                self._started.append(sim)
        self.info = {
            "api": f"http://127.0.0.1:{self.api_port}",
            "moto": endpoint,
            "localstripe": stripe.url,
            "region": REGION,
            "outbox": str((self.state_dir / "outbox").resolve()),
            "function_log": str(function_log.name),
            "keys": keys,
            "resources": {
                "tables": res.tables,
                "queues": res.queue_urls,
                "dead_letter_queues": res.dlq_urls,
                "buckets": res.buckets,
                "state_machines": res.state_machines,
                "secrets": res.secrets,
                "email_templates": res.templates,
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
            "processes": {"localstripe": stripe.pid},
            "startup_s": round(time.perf_counter() - began, 2),
        }
        # written whole and then renamed: a reader polling for the file never sees half of it
        partial = self.dev_json.with_suffix(".tmp")
        partial.write_text(json.dumps(self.info, indent=2))
        partial.replace(self.dev_json)
        return self.info

    def _export_environment(self, res: Resources, stripe_url: str) -> None:
        """Every function's environment, as the CDK stack sets it, plus where Stripe is."""
        for fn in self.plan.functions:
            os.environ.update(function_environment(fn, res, SENDER))
        os.environ["STRIPE_API_BASE"] = stripe_url
        # Tests and demos shorten how long a silent warehouse or a slow parcel is waited for.
        for name in (*t.FULFILMENT_TIMEOUTS, "CARRIER_SANDBOX_FAILURE_RATE"):
            override = os.environ.get(f"WAYBILL_DEV_{name}")
            if override:
                os.environ[name] = override

    def stop(self) -> None:
        while self._started:
            part = self._started.pop()
            try:
                part.stop()
            except Exception:  # keep stopping the rest
                log.exception("stopping %s failed", type(part).__name__)
        if self.dev_json.exists():
            self.dev_json.unlink()
