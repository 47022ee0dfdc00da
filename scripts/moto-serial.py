"""moto in server mode with DynamoDB requests handled one at a time, and Kinesis ones too.

moto's TransactWriteItems snapshots the whole table and restores the snapshot on a failed
condition; two DynamoDB requests on one table at once (two threads) can then lose or
resurrect each other's writes, so concurrent transactions are not all-or-nothing. Holding
one lock around every DynamoDB request makes each request atomic, as DynamoDB's are. moto's
Kinesis shards append without a lock too: concurrent PutRecord calls lost about 1 record in
2,400, so Kinesis requests take a lock of their own. Other services (SQS long polls) stay
concurrent.

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

# X-Amz-Target prefix -> the lock its requests are handled under, one at a time.
SERIAL_TARGETS = {
    "DynamoDB_": threading.Lock(),
    "Kinesis_": threading.Lock(),
}


def main() -> None:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    os.environ.setdefault("MOTO_PORT", str(port))
    moto = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/ocean-test/sns-endpoint-messages":
            return endpoint_messages(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        for prefix, lock in SERIAL_TARGETS.items():
            if target.startswith(prefix):
                with lock:
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
