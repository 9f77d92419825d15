"""The order fulfilment saga as a Step Functions state machine."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from commerce.orders.model import Order
from commerce.orders.ports import FulfilmentWorkflow

__all__ = ["StepFunctionsWorkflow"]

#: SendTaskSuccess errors that mean the task is no longer waiting for this token.
_NO_LONGER_WAITING = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


class StepFunctionsWorkflow(FulfilmentWorkflow):
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start(self, order: Order) -> None:
        """The execution is named after the order, so a second start of the same order is
        refused by Step Functions itself (``ExecutionAlreadyExists``) and changes nothing."""
        try:
            self._client.start_execution(
                stateMachineArn=self._arn,
                name=order.order_id,
                input=json.dumps({"order_id": order.order_id, "customer_id": order.customer_id}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise

    def resume(self, task_token: str) -> bool:
        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps({"resumed": True}))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NO_LONGER_WAITING:
                return False
            raise
        return True
