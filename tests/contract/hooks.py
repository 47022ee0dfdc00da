"""Credentials for tests/contract/run.sh (loaded by schemathesis through SCHEMATHESIS_HOOKS).

Every operation runs with the bearer token of the user run.sh created (CONTRACT_TOKEN),
except the two that end a token's life: `DELETE /v1/users/me` and `POST /v1/users/me/token`
run each test case as a user signed up for that case alone, so they cannot log the main
user out half-way through the run.
"""

import json
import os
import urllib.request

import schemathesis

BASE_URL = os.environ["CONTRACT_BASE_URL"]
TOKEN = os.environ["CONTRACT_TOKEN"]


@schemathesis.auth(refresh_interval=None).skip_for(
    method="DELETE", path="/v1/users/me"
).skip_for(method="POST", path="/v1/users/me/token")
class MainUser:
    """The user run.sh signed up."""

    def get(self, case, context):
        return TOKEN

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.auth(refresh_interval=None).apply_to(
    method="DELETE", path="/v1/users/me"
).apply_to(method="POST", path="/v1/users/me/token")
class ThrowawayUser:
    """A user signed up for one test case."""

    def get(self, case, context):
        request = urllib.request.Request(f"{BASE_URL}/v1/users", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
