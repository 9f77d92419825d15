"""Runs template.yaml offline: SAM translated locally, every resource created in moto
in-process, each function bound to its Python handler, the HTTP API served on 127.0.0.1
with a real JWT authorizer, schedules on a timer and Step Functions executed by moto.

Not deployed: this package exists for `make run` and for the tests.
"""

from localcloud.cloud import LocalCloud, LocalResponse

__all__ = ["LocalCloud", "LocalResponse"]
