"""The order fulfilment saga's task handler: one command in, one step done, one result out.

The state machine names the step (``{"step": "reserve_stock", "order_id": ...}``). Domain
errors leave as ``BusinessFailure`` (compensate) or ``TransientFailure`` (retry), the two
error names statemachines/order_fulfilment.asl.json branches on; anything else propagates
under its own name and is retried, then compensated, as an unknown failure.
"""

from collections.abc import Callable
from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, model_validator

from commerce.bootstrap import fulfilment_steps
from commerce.errors import CommerceError
from commerce.orders.saga import FulfilmentSteps, TransientFailure, as_step_failure

logger = Logger(service="order-steps")

Step = Literal[
    "reserve_stock",
    "authorize_payment",
    "await_customer",
    "complete_payment",
    "confirm_order",
    "capture_payment",
    "commit_stock",
    "return_payment",
    "return_stock",
    "cancel_order",
]


class StepCommand(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    step: Step
    order_id: str
    failure: dict[str, Any] | None = None
    #: The wait's task token (``await_customer`` only): whoever holds it resumes the saga.
    task_token: str | None = None

    @model_validator(mode="after")
    def _a_wait_has_its_token(self) -> "StepCommand":
        if self.step == "await_customer" and not self.task_token:
            raise ValueError("await_customer needs the task token ($$.Task.Token)")
        return self


STEPS: dict[str, Callable[[FulfilmentSteps, StepCommand], dict[str, Any]]] = {
    "reserve_stock": lambda s, c: s.reserve_stock(c.order_id),
    "authorize_payment": lambda s, c: s.authorize_payment(c.order_id),
    "await_customer": lambda s, c: s.await_customer(c.order_id, c.task_token or ""),
    "complete_payment": lambda s, c: s.complete_payment(c.order_id),
    "confirm_order": lambda s, c: s.confirm_order(c.order_id),
    "capture_payment": lambda s, c: s.capture_payment(c.order_id),
    "commit_stock": lambda s, c: s.commit_stock(c.order_id),
    "return_payment": lambda s, c: s.return_payment(c.order_id),
    "return_stock": lambda s, c: s.return_stock(c.order_id),
    "cancel_order": lambda s, c: s.cancel_order(c.order_id, c.failure),
}

#: AWS error codes that pass with time (throttling, capacity, a service hiccup).
_TRANSIENT_AWS_ERRORS = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    command = StepCommand.model_validate(event)
    logger.append_keys(order_id=command.order_id, step=command.step)
    try:
        result = STEPS[command.step](fulfilment_steps(), command)
    except CommerceError as error:
        failure = as_step_failure(error)
        logger.info("step failed", extra={"code": error.code, "detail": error.detail})
        raise failure from error
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _TRANSIENT_AWS_ERRORS:
            raise TransientFailure(code) from error
        raise
    except BotoCoreError as error:  # connection and read timeouts
        raise TransientFailure(type(error).__name__) from error
    logger.info("step done", extra={"result": result})
    return result
