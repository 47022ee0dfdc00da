"""moto in server mode with DynamoDB requests handled one at a time.

moto's TransactWriteItems snapshots the whole table and restores the snapshot on a failed
condition; two DynamoDB requests on one table at once (two threads) can then lose or
resurrect each other's writes, so concurrent transactions are not all-or-nothing. Holding
one lock around every DynamoDB request makes each request atomic, as DynamoDB's are; other
services (SQS long polls) stay concurrent.

It also answers `GET /ocean-test/sns-endpoint-messages?arn=<endpoint arn>` with the JSON list
of messages moto recorded as published to that SNS platform endpoint, oldest first (moto's own
`/moto-api/data.json` dumps every model of every service and grows with each test run).
"""
import json
import os
import sys
import threading

from urllib.parse import parse_qs

from werkzeug.serving import run_simple
from moto.sns.models import sns_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

DYNAMODB_LOCK = threading.Lock()


def main() -> None:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    os.environ.setdefault("MOTO_PORT", str(port))
    moto = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/ocean-test/sns-endpoint-messages":
            return endpoint_messages(environ, start_response)
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with DYNAMODB_LOCK:
                return list(moto(environ, start_response))
        return moto(environ, start_response)

    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


def endpoint_messages(environ, start_response):
    arn = parse_qs(environ.get("QUERY_STRING", "")).get("arn", [""])[0]
    for account in sns_backends.values():
        for backend in account.values():
            endpoint = backend.platform_endpoints.get(arn)
            if endpoint is not None:
                body = json.dumps(list(endpoint.messages.values())).encode()
                start_response(
                    "200 OK",
                    [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
                )
                return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no such platform endpoint"]


if __name__ == "__main__":
    main()
