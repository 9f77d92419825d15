"""The local cloud: one object that starts moto, creates the template's resources, binds
functions to their handlers and answers HTTP requests the way API Gateway would."""

from __future__ import annotations

import json as jsonlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from localcloud import hooks, isolation, outbox
from localcloud.authorizer import JwtAuthorizer, local_jwks_url
from localcloud.files import form_url
from localcloud.gateway import GatewayResponse, HttpApiGateway
from localcloud.intrinsics import Resolver
from localcloud.provision import ACCOUNT_ID, Provisioned, create_table, provision
from localcloud.runtime import FunctionRuntime, merge_environments
from localcloud.scheduler import Schedule, Scheduler
from localcloud.template import Template, load_template

__all__ = ["DEFAULT_TEMPLATE", "LocalCloud", "LocalResponse"]

LOG = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = ROOT / "template.yaml"

_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "localcloud",
    "AWS_SECRET_ACCESS_KEY": "localcloud",
    "AWS_SESSION_TOKEN": "localcloud",
    "AWS_SECURITY_TOKEN": "localcloud",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}


@dataclass
class LocalResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class LocalCloud:
    #: How long reset() and stop() wait for running executions to end by themselves before stopping them.
    EXECUTION_SETTLE_SECONDS = 2.0
    #: How often wait_for_execution() asks DescribeExecution.
    EXECUTION_POLL_SECONDS = 0.02

    def __init__(
        self,
        template_path: Path = DEFAULT_TEMPLATE,
        region: str = "us-east-1",
        stack: str = "commerce",
        public_url: str = "http://127.0.0.1:3000",
    ) -> None:
        self.template_path = template_path
        #: Where the local server answers: it stands in for CloudFront (``/_images/...``).
        self.public_url = public_url.rstrip("/")
        self.region = region
        self.stack = stack
        self._mock: Any = None
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self.template: Template
        self.resources: Provisioned
        self.functions: dict[str, FunctionRuntime] = {}
        self.gateway: HttpApiGateway
        self.scheduler: Scheduler
        #: The stack's outputs as DescribeStacks gives them.
        self.outputs: dict[str, str] = {}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalCloud:
        from moto import mock_aws

        os.environ.update(_FAKE_ENVIRONMENT)
        # Tests empty every queue between them; AWS (and strict moto) allow one purge a minute.
        os.environ["MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"] = "false"
        os.environ["AWS_DEFAULT_REGION"] = self.region
        os.environ["AWS_REGION"] = self.region
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        self._mock = mock_aws(config=hooks.MOTO_CONFIG)  # type: ignore[call-overload]
        self._mock.start()
        hooks.install(self._dispatch)
        isolation.install()
        self.template = load_template(self.template_path, self.region)
        self.resources = provision(self.template, self.client, self.region, self.stack)
        os.environ.update(merge_environments(self.resources.function_environments))
        os.environ["COGNITO_JWKS_URL"] = local_jwks_url()
        # No CloudFront here: the local server serves the images bucket itself.
        os.environ["IMAGES_BASE_URL"] = f"{self.public_url}/_images"
        # Nor S3's upload endpoint: browsers post presigned upload forms to the local server too.
        if "UploadsBucket" in self.resources.buckets:
            os.environ["UPLOADS_FORM_URL"] = form_url(
                self.public_url, self.resources.buckets["UploadsBucket"]
            )
        # In AWS the sender is verified once by an operator; moto refuses to send from anyone else.
        if os.environ.get("NOTIFICATION_SENDER"):
            self.client("ses").verify_email_identity(EmailAddress=os.environ["NOTIFICATION_SENDER"])
        self._forget_built_dependencies()
        self._register_stack()
        for logical_id, spec in self.template.functions.items():
            name = self.resources.refs[logical_id]
            arn = self.resources.attributes[(logical_id, "Arn")]
            self.functions[logical_id] = FunctionRuntime(spec, name, arn)
        resolve = Resolver(self._ref, lambda logical_id, attr: self.resources.attributes[(logical_id, attr)])
        authorizers = {}
        for name, config in self.template.authorizers.items():
            jwt = resolve(config.get("jwtConfiguration", {}))
            authorizers[name] = JwtAuthorizer(
                issuer=jwt["issuer"],
                audience=list(jwt.get("audience", [])),
                identity_source=str(config.get("identitySource", "$request.header.Authorization")),
            )
        self.gateway = HttpApiGateway(self.template.routes, authorizers, self.invoke, self.template.cors)
        self.scheduler = Scheduler(
            [
                Schedule(logical_id, spec["expression"], lambda lid=logical_id: self.fire_schedule(lid))  # type: ignore[misc]
                for logical_id, spec in self.resources.schedules.items()
            ]
        )
        return self

    def stop(self) -> None:
        self.scheduler.stop()
        # An execution still running after mock_aws stops would send its remaining calls to real AWS.
        if self._mock is not None:
            self._settle_executions(self.EXECUTION_SETTLE_SECONDS)
        hooks.uninstall()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _ref(self, name: str) -> Any:
        pseudo = {"AWS::Region": self.region, "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws"}
        return pseudo.get(name, self.resources.refs.get(name))

    def _register_stack(self) -> None:
        """DescribeStacks answers with the template's outputs, as for a deployed stack (commerce-admin)."""
        from localcloud.stack import register_stack, stack_outputs

        self.outputs = stack_outputs(self.template, self.resources, self.region, self.stack, self.public_url)
        parameters = {
            name: str(spec.get("Default", ""))
            for name, spec in self.template.cfn.get("Parameters", {}).items()
        }
        register_stack(self.client("cloudformation"), self.stack, self.outputs, parameters)

    @staticmethod
    def _forget_built_dependencies() -> None:
        """Functions cache their settings and clients; the resources they point at just changed."""
        try:
            from commerce import bootstrap
        except ImportError:  # a template without the commerce layer
            return
        bootstrap.reset()

    # ------------------------------------------------------------------ AWS
    def client(self, service: str) -> Any:
        with self._clients_lock:
            if service not in self._clients:
                import boto3

                self._clients[service] = boto3.session.Session().client(service, region_name=self.region)  # type: ignore[call-overload]
            return self._clients[service]

    def ref(self, logical_id: str) -> Any:
        """The physical id a logical id became (table name, pool id, client id...)."""
        return self.resources.refs[logical_id]

    def reset(self) -> None:
        """Empty every table, bucket, queue and user pool between tests, keeping names and ids stable.

        Step Functions executions run on moto's worker threads and do not stop when a test ends: one
        left running would go on invoking handlers and writing into the tables recreated below, inside
        the next test. So they are settled first (see ``_settle_executions``), and every state machine
        that ran is recreated under the same name and ARN, forgetting its executions: the next test sees
        an empty ListExecutions and may reuse execution names (moto refuses a name it has seen, even
        once the execution has finished, as AWS does for 90 days).
        """
        self._settle_executions(self.EXECUTION_SETTLE_SECONDS)
        self._recreate_state_machines()
        self._forget_built_dependencies()
        dynamodb = self.client("dynamodb")
        for logical_id, definition in self.resources.table_definitions.items():
            dynamodb.delete_table(TableName=definition["create"]["TableName"])
            description = create_table(dynamodb, definition["create"], definition["ttl"])
            if "LatestStreamArn" in description:
                self._repoint_stream_mappings(logical_id, description["LatestStreamArn"])
        s3 = self.client("s3")
        for bucket in self.resources.buckets.values():
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
        for url in self.resources.queues.values():
            # In-flight messages too; moto allows it more than once a minute when not strict (set in start()).
            self.client("sqs").purge_queue(QueueUrl=url)
        outbox.clear()
        cognito = self.client("cognito-idp")
        for logical_id, resource in self.template.resources.items():
            if resource["Type"] != "AWS::Cognito::UserPool":
                continue
            pool_id = self.resources.refs[logical_id]
            paginator = cognito.get_paginator("list_users")
            for page in paginator.paginate(UserPoolId=pool_id):
                for user in page["Users"]:
                    cognito.admin_delete_user(UserPoolId=pool_id, Username=user["Username"])

    def _running_executions(self) -> set[str]:
        """ListExecutions, not DescribeExecution: moto's DescribeExecution can raise on a finished
        execution's output (a ``$$.Execution.StartTime`` left in it is a datetime it cannot encode)."""
        sfn = self.client("stepfunctions")
        paginator = sfn.get_paginator("list_executions")
        return {
            execution["executionArn"]
            for logical_id in self.resources.state_machine_definitions
            for page in paginator.paginate(
                stateMachineArn=self.resources.refs[logical_id], statusFilter="RUNNING"
            )
            for execution in page["executions"]
        }

    def _settle_executions(self, timeout: float) -> None:
        """Let running executions finish for up to ``timeout`` seconds, then StopExecution the rest.

        Stopping is not instant in moto: StopExecution only flags the execution, whose thread notices
        before its next state (a Wait or a task token wait wakes at once; a Retry interval or a handler
        that is running finishes first) and only then leaves RUNNING. The second wait is bounded too:
        an execution still running after it is logged and left behind, it cannot start another state.
        """
        running = self._wait_until_finished(self._running_executions(), timeout)
        if not running:
            return
        sfn = self.client("stepfunctions")
        for execution_arn in running:
            sfn.stop_execution(executionArn=execution_arn)
        left = self._wait_until_finished(running, timeout)
        if left:
            LOG.warning("executions still running after StopExecution, left behind: %s", sorted(left))

    def _wait_until_finished(self, execution_arns: set[str], timeout: float) -> set[str]:
        """The executions among ``execution_arns`` still RUNNING when they all ended or time ran out."""
        deadline = time.monotonic() + timeout
        pending = set(execution_arns)
        while pending:
            pending &= self._running_executions()
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(self.EXECUTION_POLL_SECONDS)
        return pending

    def _recreate_state_machines(self) -> None:
        """Delete and recreate (same name, so same ARN) every state machine that has executions."""
        sfn = self.client("stepfunctions")
        for logical_id, create in self.resources.state_machine_definitions.items():
            arn = self.resources.refs[logical_id]
            if not sfn.list_executions(stateMachineArn=arn, maxResults=1)["executions"]:
                continue
            sfn.delete_state_machine(stateMachineArn=arn)
            recreated = sfn.create_state_machine(**create)["stateMachineArn"]
            if recreated != arn:  # the ARN is derived from the name; tests and rules hold on to it
                raise RuntimeError(f"{logical_id} came back as {recreated}, not {arn}")

    def _repoint_stream_mappings(self, table_id: str, stream_arn: str) -> None:
        """A recreated table has a new stream: move its event source mappings onto it."""
        old_arn = self.resources.attributes.get((table_id, "StreamArn"))
        self.resources.attributes[(table_id, "StreamArn")] = stream_arn
        aws_lambda = self.client("lambda")
        for logical_id, params in self.resources.event_source_mappings.items():
            if params.get("EventSourceArn") != old_arn:
                continue
            aws_lambda.delete_event_source_mapping(UUID=self.resources.refs[logical_id])
            params["EventSourceArn"] = stream_arn
            self.resources.refs[logical_id] = aws_lambda.create_event_source_mapping(**params)["UUID"]

    # ------------------------------------------------------------------ Step Functions
    def state_machine_arn(self, logical_id: str) -> str:
        """A state machine's ARN (what Ref gives in CloudFormation)."""
        return str(self.resources.refs[logical_id])

    def execution(self, execution_arn: str) -> dict[str, Any]:
        """DescribeExecution: status, input, output (SUCCEEDED only), error and cause (FAILED)."""
        return dict(self.client("stepfunctions").describe_execution(executionArn=execution_arn))

    def wait_for_execution(self, execution_arn: str, timeout: float = 30.0) -> dict[str, Any]:
        """DescribeExecution once the execution has left RUNNING.

        moto runs executions on a worker thread and StartExecution returns at once, so a test has to
        poll, as a client of the real service would. Retry intervals and Wait states really sleep.
        """
        deadline = time.monotonic() + timeout
        while True:
            described = self.execution(execution_arn)
            if described["status"] != "RUNNING":
                return described
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{execution_arn} still RUNNING after {timeout}s")
            time.sleep(self.EXECUTION_POLL_SECONDS)

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every GetExecutionHistory event, oldest first (moto 5.2.5 answers in one page anyway)."""
        paginator = self.client("stepfunctions").get_paginator("get_execution_history")
        return [
            dict(event) for page in paginator.paginate(executionArn=execution_arn) for event in page["events"]
        ]

    # ------------------------------------------------------------------ functions
    def _dispatch(self, function_name: str, event: Any) -> Any:
        """moto's Lambda calls land here (Step Functions tasks, rules, event source mappings)."""
        name = function_name.rsplit(":", 1)[-1] if function_name.startswith("arn:") else function_name
        logical_id = self.resources.function_names.get(name, name)
        return self.invoke(logical_id, event)

    def invoke(self, logical_id: str, event: Any) -> Any:
        return self.functions[logical_id].invoke(event)

    def poll_queues(self) -> int:
        """Lambda's SQS poller, once over every queue: moto only delivers when a message arrives,
        so messages whose delivery failed wait for this to be retried. Returns records handed over."""
        return sum(
            hooks.poll_queue(self.resources.attributes[(logical_id, "Arn")])
            for logical_id in self.resources.queues
        )

    def fire_schedule(self, logical_id: str) -> None:
        """Deliver a scheduled rule's event to its targets now, as EventBridge would."""
        spec = self.resources.schedules[logical_id]
        event = {
            "version": "0",
            "id": os.urandom(16).hex(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [self.resources.attributes[(logical_id, "Arn")]],
            "detail": {},
        }
        for target in spec["targets"]:
            payload = jsonlib.loads(target["Input"]) if "Input" in target else event
            arn: str = target["Arn"]
            if ":lambda:" in arn:
                self._dispatch(arn, payload)
            elif ":states:" in arn:
                self.client("stepfunctions").start_execution(
                    stateMachineArn=arn, name=f"schedule-{os.urandom(8).hex()}", input=jsonlib.dumps(payload)
                )
            else:
                raise NotImplementedError(f"schedule target {arn} is not supported locally")

    # ------------------------------------------------------------------ payments
    def deliver_stripe_event(self, event: dict[str, Any], *, signature: str | None = None) -> LocalResponse:
        """POST ``event`` to the Stripe webhook endpoint signed as Stripe signs it (with the
        endpoint's secret from Secrets Manager), unless ``signature`` is given."""
        from commerce.payments.stripe_webhooks import sign

        payload = jsonlib.dumps(event)
        if signature is None:
            secret_name = os.environ["STRIPE_WEBHOOK_SECRET_NAME"]
            secret = self.client("secretsmanager").get_secret_value(SecretId=secret_name)["SecretString"]
            signature = sign(payload, secret)
        return self.request(
            "POST",
            "/v1/payments/webhooks/stripe",
            body=payload,
            headers={"content-type": "application/json", "stripe-signature": signature},
        )

    def authenticate_payment(self, order_id: str, *, succeed: bool = True) -> LocalResponse:
        """The customer answers the 3-D Secure challenge of the order's card payment (the card
        simulator plays Stripe), and Stripe's webhook tells the platform."""
        from commerce.bootstrap import payment_providers
        from commerce.payments.model import PaymentMethodKind

        simulator = payment_providers().for_kind(PaymentMethodKind.CARD)
        simulator.authenticate(order_id, succeed=succeed)  # type: ignore[attr-defined]
        kind = "payment_intent.amount_capturable_updated" if succeed else "payment_intent.payment_failed"
        return self.deliver_stripe_event(simulator.stripe_event(order_id, kind))  # type: ignore[attr-defined]

    def simulated_3ds_answer(self, order_id: str, succeed: bool) -> GatewayResponse:
        """``authenticate_payment`` for the local server's 3-D Secure page."""
        from commerce.errors import CommerceError

        try:
            delivered = self.authenticate_payment(order_id, succeed=succeed)
        except CommerceError as error:
            body = jsonlib.dumps({"code": error.code, "detail": error.detail}).encode()
            return GatewayResponse(
                404 if error.code == "payment_not_found" else 409,
                [("content-type", "application/json")],
                body,
            )
        return GatewayResponse(delivered.status, list(delivered.headers.items()), delivered.body)

    # ------------------------------------------------------------------ HTTP
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> LocalResponse:
        """An HTTP request through the gateway without a socket: what tests use in-process."""
        parts = urlsplit(path)
        all_headers = {"host": "127.0.0.1", "user-agent": "localcloud-test"}
        if json is not None:
            body = jsonlib.dumps(json)
            all_headers["content-type"] = "application/json"
        if token is not None:
            all_headers["authorization"] = f"Bearer {token}"
        all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
        raw = body.encode() if isinstance(body, str) else (body or b"")
        response: GatewayResponse = self.gateway.handle(
            method, parts.path, parts.query, list(all_headers.items()), raw
        )
        return LocalResponse(response.status, {k: v for k, v in response.headers}, response.body)
