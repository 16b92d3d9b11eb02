"""Schemathesis hooks (SCHEMATHESIS_HOOKS=schemathesis_hooks): what a client does and no
schema can say.

- `Idempotency-Key`: a client makes a new key for every new request. A generated key repeats
  across requests (the examples and the coverage phase reuse values), and the API rightly
  refuses a known key with another body (422), which hid every other answer of the POSTs.
- `If-Match`: a client sends an ETag it was given. A generated value names no version and is
  rightly refused (412); unless it came from a link (an ETag: quoted), `*` is sent, which
  matches any current version, so that the request reaches the checks of its body. The 412
  path has tests of its own (tests/api/conventions.rs and the resources' tests).
- The run's own account (ENGAGIERT_RUN_USER_ID): a generated PUT or PATCH may deactivate or
  demote it, or a DELETE remove it, which the API allows while another admin exists (the run
  creates some); that would end the run's session and make every later request 401. Changes
  of it go to a user id that does not exist instead (404).
"""
import os
import uuid

import schemathesis

RUN_USER_ID = os.environ.get("ENGAGIERT_RUN_USER_ID")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    for name in list(case.headers or {}):
        lower = name.lower()
        if lower == "idempotency-key":
            case.headers[name] = str(uuid.uuid4())
        elif lower == "if-match" and not str(case.headers[name]).strip().endswith('"'):
            case.headers[name] = "*"
    if (
        RUN_USER_ID
        and case.method.upper() in ("PUT", "PATCH", "DELETE")
        and case.path == "/api/v1/users/{id}"
        and (case.path_parameters or {}).get("id") == RUN_USER_ID
    ):
        case.path_parameters["id"] = str(uuid.uuid4())
