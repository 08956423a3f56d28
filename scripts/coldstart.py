#!/usr/bin/env python3
"""Cold start and memory of every Starling Lambda as Lambda sees them, from the release bundles.

    .venv/bin/python scripts/coldstart.py                      # every Lambda, 20 cold starts each
    .venv/bin/python scripts/coldstart.py --runs 5 --only ingress,alert --json /tmp/cold.json
    .venv/bin/python scripts/coldstart.py --stub-missing       # loopback stubs for what moto lacks
    .venv/bin/python scripts/coldstart.py --trace-calls        # count AWS calls per invocation

Each bundle (`bash scripts/bundle.sh`: cargo-lambda, x86_64, `<lambda dir>/<function>/bootstrap.zip`)
is unzipped and started the way Lambda starts a provided.al2023 function: a clean environment with
the AWS_LAMBDA_* variables, pointed at a local Lambda Runtime API. Per cold start it records
  init      process spawn -> its first `GET /invocation/next` (Lambda's "Init Duration"),
  first     the first event handed out -> its `/response` (or `/error`) POST,
  warm      the same for the following --warm events (median per cold start),
  peak RSS  VmHWM of /proc/PID/status after the last answer (Lambda's "Max Memory Used"),
and the CPU time the process used in each phase (/proc/PID/task/*/schedstat). Every figure is
reported as median and p90 over --runs cold starts, against the targets of the cold-start issue.

Why a Python harness, not crates/testkit (lambda_runtime_api.rs + lambda_process.rs, which the
Lambdas' own tests use): that harness is Rust behind axum, tokio and the aws-sdk-* crates. Driving
the *release* bundles with it means building testkit optimised for the host -- a second optimised
build of the AWS SDK next to the bundles' own (those are built for x86_64-unknown-linux-gnu with
target-cpu=haswell in their own target directory, so nothing is shared) -- which takes tens of
minutes on a 2-core machine. The Runtime API protocol is four small HTTP calls; the loopback
ThreadingHTTPServer below adds well under a millisecond, and every run measures by how much: the
"harness floor" rows are trivial bootstraps (Python, and bash over /dev/tcp) that poll /next and
answer at once, timed exactly like the Lambdas.

The environment follows testkit's conventions (lambda_process.rs: PATH, AWS_LAMBDA_RUNTIME_API,
AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_VERSION=$LATEST,
AWS_LAMBDA_LOG_STREAM_NAME, AWS_LAMBDA_LOG_GROUP_NAME; moto.rs: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_EC2_METADATA_DISABLED) plus what the Lambda service also sets
for a provided.al2023 function (AWS_DEFAULT_REGION, AWS_SESSION_TOKEN, AWS_LAMBDA_INITIALIZATION_TYPE,
LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR, _HANDLER, TZ, LANG). AWS_LAMBDA_LOG_FORMAT is only set by Lambda
when a function's logging config is JSON; the CDK app configures none, so it is not set here (and
starling_aws::init_tracing picks JSON from AWS_LAMBDA_FUNCTION_NAME anyway). Each function's own
variables come from its row in cdk/lib/functions.ts (memoryMb, timeout, env, fixedEnv, RUST_LOG=info),
pointed at resources created in a moto server this script starts on a free loopback port (bucket,
tables, topic, bus, secret -- plain HTTP to moto, no boto3 needed). X's API (X_API_BASE), the remote
joke source and the media host are a loopback stub served here.

Events: scripts/coldstart/events/<lambda>.json, rendered per invocation:
  "{{NAME}}"                        a value the script fills (BUCKET, TWEET_ID, AUTHOR, UUID, ...);
                                    a string that is only a placeholder takes the value's JSON type
  {"$fixture": "repo/path.json",    a JSON fixture of the repository, optionally with values set at
   "$set": {"/json/pointer": v},    JSON pointers and narrowed to one of its parts
   "$pointer": "/detail"}
  {"$json": value}                  the value as a compact JSON string (an API Gateway body)
  {"$base64": value}                the value (JSON unless a string) base64-encoded (Firehose data)
Every invocation gets fresh ids (tweet, author, idempotency key), so idempotency and dedup tables
never short-cut the work, and each cold start gets a fresh reply-policy table (the policy's budget
and cooldowns would otherwise turn later invocations into cheap suppressions).

AWS operations moto 5.2.5 lacks (Comprehend DetectDominantLanguage/DetectEntities/DetectToxicContent,
Rekognition RecognizeCelebrities/DetectModerationLabels, the whole Lex V2 runtime) fail as they fail
against moto (HTTP 500, which the SDK retries, or 404): such rows are marked in the note column.
--stub-missing instead serves those services from a loopback stub answering in the documented
shapes, as the Lambdas' own tests do (testkit aws_json/aws_rest); rows are then marked "stubbed".
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import hmac
import http.client
import itertools
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zipfile
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVENTS = REPO / "scripts" / "coldstart" / "events"
RUNTIME = "/2018-06-01/runtime"

# The cold-start issue's targets.
TARGET_INIT_MS = 10.0
TARGET_FIRST_MS = 5.0
TARGET_RSS_MB = 20.0
TARGET_ZIP_BYTES = 5_000_000  # bundle.sh's BUDGET_BYTES (5 MB)

REGION = "us-east-1"
ACCOUNT = "123456789012"
BOT_USER_ID = "1603419180975409153"
CURATED_AUTHOR_ID = "2001"
CONSUMER_SECRET = "coldstart-consumer-secret"
PHOTO = REPO / "crates/offline/tests/fixtures/images/two_faces_composite.jpg"
JOKE = "Why did the starling sit on the clock? It wanted to be on time for once."


def now_ns() -> int:
    return time.perf_counter_ns()


def ms(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    s = sorted(v for v in values if v is not None)
    if not s:
        return None
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Small HTTP servers on loopback: one write per response and TCP_NODELAY, so no Nagle/delayed-ACK
# stall (40 ms) ever lands inside a measured window.


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, *args) -> None:  # noqa: D401 - silence the default access log
        pass

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: bytes = b"", content_type: str = "application/json",
              headers: list[tuple[str, str]] | None = None, head_only: bool = False) -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Status"
        lines = [f"HTTP/1.1 {status} {phrase}"]
        have_length = False
        for k, v in headers or []:
            lines.append(f"{k}: {v}")
            have_length |= k.lower() == "content-length"
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        if not have_length:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else body))

    def reply_json(self, status: int, value) -> None:
        self.reply(status, json.dumps(value).encode())


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A killed Lambda leaves its connection behind: writing the answer to its blocked /next fails.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


class Server:
    """A ThreadingHTTPServer on a free loopback port, served from a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None):
        self.httpd = QuietServer(("127.0.0.1", 0), handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------------------------
# Calls the Lambdas make to the stubs (always) and to moto (with --trace-calls, through a proxy).


@dataclass
class Call:
    service: str
    op: str
    start: int
    end: int
    status: int


class CallLog:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[Call] = []

    def record(self, service: str, op: str, start: int, end: int, status: int) -> None:
        with self.lock:
            self.calls.append(Call(service, op, start, end, status))

    def between(self, start: int, end: int) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.start >= start and c.end <= end]

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()


def busy_ns(calls: list[Call]) -> int:
    """Time covered by the calls' intervals (overlapping calls counted once)."""
    total, cur_start, cur_end = 0, None, None
    for c in sorted(calls, key=lambda c: c.start):
        if cur_end is None or c.start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = c.start, c.end
        else:
            cur_end = max(cur_end, c.end)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def aws_op(headers, method: str, path: str) -> tuple[str, str]:
    target = headers.get("X-Amz-Target")
    scope = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", headers.get("Authorization", ""))
    service = scope.group(1) if scope else "?"
    if target:
        return service, target.split(".")[-1]
    if service in ("sns", "sqs"):
        return service, "query"
    parts = urllib.parse.urlsplit(path).path.split("/")
    if service == "s3":
        return service, f"{method} {'object' if len(parts) > 2 and parts[2] else 'bucket'}"
    return service, f"{method} /{parts[1] if len(parts) > 1 else ''}/…"


# --------------------------------------------------------------------------------------------
# The Lambda Runtime API.


@dataclass
class Answer:
    at: int
    kind: str  # "response" | "error"
    body: bytes


@dataclass
class Session:
    """One execution environment: the events queued for it and what it did with them."""

    events: list[tuple[str, bytes]]
    function_arn: str
    timeout_s: int
    pending: collections.deque = field(default_factory=collections.deque)
    next_times: list[int] = field(default_factory=list)
    next_cpu: list[int | None] = field(default_factory=list)
    handed: dict[str, int] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)
    init_error: bytes | None = None
    closed: bool = False
    pid: int | None = None

    def __post_init__(self) -> None:
        self.pending.extend(self.events)


def process_cpu_ns(pid: int | None) -> int | None:
    """CPU time the process has used so far, all threads (schedstat: ns on the CPU)."""
    if pid is None:
        return None
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total


class RuntimeApi:
    """The documented Runtime API (next, response, error, init/error) for one session at a time."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.session: Session | None = None
        api = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                t = now_ns()
                if self.path != f"{RUNTIME}/invocation/next":
                    return self.reply_json(404, {"errorType": "NotFound", "errorMessage": self.path})
                with api.cond:
                    s = api.session
                    if s is None or s.closed:
                        self.close_connection = True
                        return self.reply_json(410, {"errorType": "Gone"})
                    s.next_times.append(t)
                    s.next_cpu.append(process_cpu_ns(s.pid))
                    api.cond.notify_all()
                    while not s.pending and not s.closed:
                        api.cond.wait(0.5)
                    if s.closed:  # the run is over; the process is about to be killed
                        self.close_connection = True
                        return self.reply_json(410, {"errorType": "Gone"})
                    request_id, body = s.pending.popleft()
                deadline = int(time.time() * 1000) + s.timeout_s * 1000
                trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
                headers = [
                    ("Lambda-Runtime-Aws-Request-Id", request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", s.function_arn),
                    ("Lambda-Runtime-Trace-Id", trace),
                ]
                s.handed[request_id] = now_ns()
                self.reply(200, body, headers=headers)

            def do_POST(self) -> None:  # noqa: N802
                t = now_ns()
                body = self.read_body()
                m = re.fullmatch(rf"{RUNTIME}/invocation/([^/]+)/(response|error)", self.path)
                with api.cond:
                    s = api.session
                    if m and s is not None and m.group(1) in s.handed:
                        s.answers[m.group(1)] = Answer(t, m.group(2), body)
                        api.cond.notify_all()
                    elif self.path == f"{RUNTIME}/init/error" and s is not None:
                        s.init_error = body
                        api.cond.notify_all()
                    elif not m:
                        return self.reply_json(404, {"errorType": "NotFound", "errorMessage": self.path})
                self.reply_json(202, {"status": "OK"})

        self.server = Server(Handler)
        self.address = f"127.0.0.1:{self.server.port}"

    def begin(self, session: Session) -> None:
        with self.cond:
            self.session = session

    def end(self) -> None:
        with self.cond:
            if self.session is not None:
                self.session.closed = True
            self.session = None
            self.cond.notify_all()

    def wait(self, predicate, timeout: float, proc: subprocess.Popen | None = None) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (proc is not None and proc.poll() is not None):
                    return predicate()
                self.cond.wait(min(remaining, 0.05))
        return True


# --------------------------------------------------------------------------------------------
# moto, and plain-HTTP calls to it for the set-up (moto checks no signature; the credential scope
# of the Authorization header tells it the service).


class Moto:
    def __init__(self, venv: Path, log_path: Path) -> None:
        server = venv / "bin" / "moto_server"
        if not server.exists():
            sys.exit(f"moto is not installed at {server}; run `bash scripts/test.sh` once (it creates .venv)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):  # importing moto is slow on a loaded machine
            if self.proc.poll() is not None:
                sys.exit(f"moto exited with {self.proc.returncode}; see {log_path}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                c.request("GET", "/moto-api/")
                c.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        sys.exit("moto did not start within two minutes")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def call(self, service: str, method: str = "POST", path: str = "/", body: bytes = b"",
             target: str | None = None, content_type: str | None = None) -> tuple[int, bytes]:
        headers = {
            "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=0",
            "X-Amz-Date": "20260101T000000Z",
        }
        if target:
            headers["X-Amz-Target"] = target
        if content_type:
            headers["Content-Type"] = content_type
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def json_call(self, service: str, target: str, payload: dict, version: str = "1.1") -> dict:
        status, data = self.call(service, body=json.dumps(payload).encode(), target=target,
                                 content_type=f"application/x-amz-json-{version}")
        if status != 200:
            raise RuntimeError(f"moto {target}: HTTP {status}: {data[:300]!r}")
        return json.loads(data or b"{}")

    def create_bucket(self, name: str) -> None:
        status, data = self.call("s3", "PUT", f"/{name}")
        if status != 200:
            raise RuntimeError(f"moto CreateBucket: HTTP {status}: {data[:300]!r}")

    def put_object(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("PUT", f"/{bucket}/{urllib.parse.quote(key)}", body=body, headers={
            "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/s3/aws4_request, "
                             "SignedHeaders=host, Signature=0",
            "Content-Type": content_type})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError(f"moto PutObject: HTTP {r.status}")

    def create_table(self, name: str, key: str) -> None:
        self.json_call("dynamodb", "DynamoDB_20120810.CreateTable", {
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }, version="1.0")

    def create_topic(self, name: str) -> str:
        body = urllib.parse.urlencode({"Action": "CreateTopic", "Name": name, "Version": "2010-03-31"}).encode()
        status, data = self.call("sns", body=body, content_type="application/x-www-form-urlencoded")
        m = re.search(rb"<TopicArn>([^<]+)</TopicArn>", data)
        if status != 200 or not m:
            raise RuntimeError(f"moto CreateTopic: HTTP {status}: {data[:300]!r}")
        return m.group(1).decode()

    def create_bus(self, name: str) -> str:
        return self.json_call("events", "AWSEvents.CreateEventBus", {"Name": name})["EventBusArn"]

    def create_secret(self, name: str, value: dict) -> str:
        return self.json_call("secretsmanager", "secretsmanager.CreateSecret",
                              {"Name": name, "SecretString": json.dumps(value)})["ARN"]

    def secret_value(self, arn: str) -> dict:
        out = self.json_call("secretsmanager", "secretsmanager.GetSecretValue", {"SecretId": arn})
        return json.loads(out["SecretString"])

    def round_trip_ms(self, secret_arn: str, n: int = 30) -> float:
        times = []
        for _ in range(n):
            t = now_ns()
            self.secret_value(secret_arn)
            times.append(ms(now_ns() - t))
        return quantile(times, 0.5)


class MotoProxy:
    """--trace-calls: a pass-through in front of moto that records each AWS call and its time."""

    def __init__(self, moto_port: int, calls: CallLog, tls: ssl.SSLContext | None = None) -> None:
        class Handler(QuietHandler):
            def forward(self) -> None:
                start = now_ns()
                body = self.read_body()
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("content-length", "transfer-encoding", "connection")}
                c = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=120)
                c.request(self.command, self.path, body=body if body or self.command in ("POST", "PUT") else None,
                          headers=headers)
                r = c.getresponse()
                data = r.read()
                c.close()
                service, op = aws_op(self.headers, self.command, self.path)
                calls.record(service, op, start, now_ns(), r.status)
                out = [(k, v) for k, v in r.getheaders()
                       if k.lower() not in ("transfer-encoding", "connection", "server", "date", "content-type")
                       and not (k.lower() == "content-length" and self.command != "HEAD")]
                self.reply(r.status, data, content_type=r.getheader("Content-Type", ""), headers=out,
                           head_only=self.command == "HEAD")

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward  # noqa: N815

        self.server = Server(Handler, tls=tls)
        self.url = f"https://localhost:{self.server.port}" if tls else f"http://127.0.0.1:{self.server.port}"


# --------------------------------------------------------------------------------------------
# Loopback stubs: X's API, the remote joke source, the media host (https), and with --stub-missing
# the AWS operations moto lacks, in their documented shapes.


def x_time() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class Stubs:
    def __init__(self, calls: CallLog, tls: ssl.SSLContext | None) -> None:
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        photo = PHOTO.read_bytes()
        stubs = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                start = now_ns()
                path = urllib.parse.urlsplit(self.path).path
                status, service, op = 200, "x", "GET " + path
                if re.fullmatch(r"/2/users/\d+/mentions", path) or path == "/2/tweets/search/recent":
                    op = "GET mentions" if "mentions" in path else "GET search"
                    self.reply_json(200, stubs.posts(2))
                elif re.fullmatch(r"/2/users/\d+/tweets", path):
                    self.reply_json(200, {"meta": {"result_count": 0}})
                elif path == "/joke":
                    service = "remote"
                    self.reply_json(200, {"id": "x", "joke": "A remote joke about starlings.", "status": 200})
                elif path == "/fact":
                    service = "remote"
                    self.reply_json(200, {"fact": "Starlings can mimic car alarms."})
                elif path.startswith("/media/"):
                    service, op = "media", "GET image"
                    self.reply(200, photo, content_type="image/jpeg")
                else:
                    status = 404
                    self.reply_json(404, {"title": "Not Found", "status": 404})
                calls.record(service, op, start, now_ns(), status)

            def do_POST(self) -> None:  # noqa: N802
                start = now_ns()
                body = self.read_body()
                path = urllib.parse.urlsplit(self.path).path
                target = self.headers.get("X-Amz-Target")
                status, service, op = 200, "x", "POST " + path
                if target:
                    service = "rekognition" if target.startswith("Rekognition") else "comprehend"
                    op = target.split(".")[-1]
                    status, answer = stubs.aws(target, json.loads(body or b"{}"))
                    self.reply(status, json.dumps(answer).encode(), content_type="application/x-amz-json-1.1")
                elif m := re.fullmatch(r"/bots/[^/]+/botAliases/[^/]+/botLocales/[^/]+/sessions/([^/]+)/text", path):
                    service, op = "lex", "RecognizeText"
                    self.reply_json(200, lex_answer(urllib.parse.unquote(m.group(1))))
                elif path == "/2/tweets":
                    op = "POST tweet"
                    text = json.loads(body or b"{}").get("text", "")
                    self.reply_json(201, {"data": {"id": f"19{next(stubs.ids):017d}", "text": text}})
                elif path == "/2/media/upload":
                    op = "POST media"
                    self.reply_json(200, {"data": {"id": f"{next(stubs.ids)}", "media_key": "3_1"}})
                elif re.fullmatch(r"/2/users/\d+/retweets", path):
                    op = "POST repost"
                    post = json.loads(body or b"{}").get("tweet_id", "")
                    self.reply_json(200, {"data": {"retweeted": True, "rest_id": f"9{post}"}})
                else:
                    status = 404
                    self.reply_json(404, {"title": "Not Found", "status": 404})
                calls.record(service, op, start, now_ns(), status)

        self.http = Server(Handler)
        self.url = f"http://127.0.0.1:{self.http.port}"
        self.https = Server(Handler, tls=tls) if tls is not None else None
        self.media_url = f"https://localhost:{self.https.port}" if self.https else None

    def posts(self, n: int) -> dict:
        """A page of n new mentions of the bot, newest first (each poll finds new ones)."""
        with self.lock:
            ids = [next(self.ids) for _ in range(n)]
        posts, users = [], []
        for i in reversed(ids):
            author = f"8{i:09d}"
            posts.append({
                "id": f"17{i:017d}", "author_id": author, "text": f"@starling_bot hi {i}",
                "created_at": x_time(), "lang": "en", "conversation_id": f"17{i:017d}",
                "entities": {"mentions": [{"start": 0, "end": 13, "username": "starling_bot", "id": BOT_USER_ID}]},
            })
            users.append({"id": author, "username": f"fan{i}", "name": f"Fan {i}"})
        return {"data": posts, "includes": {"users": users},
                "meta": {"result_count": n, "newest_id": posts[0]["id"], "oldest_id": posts[-1]["id"]}}

    @staticmethod
    def aws(target: str, req: dict) -> tuple[int, dict]:
        op = target.split(".")[-1]
        text = req.get("Text", "")
        if op == "DetectDominantLanguage":
            return 200, {"Languages": [{"LanguageCode": "en", "Score": 0.99}]}
        if op == "DetectSentiment":
            return 200, {"Sentiment": "NEUTRAL", "SentimentScore": {"Positive": 0.1, "Negative": 0.02, "Neutral": 0.87, "Mixed": 0.01}}
        if op == "DetectEntities":
            return 200, {"Entities": [{"Score": 0.9, "Type": "OTHER", "Text": text[:4], "BeginOffset": 0, "EndOffset": min(4, len(text))}]}
        if op == "DetectKeyPhrases":
            return 200, {"KeyPhrases": [{"Score": 0.99, "Text": text[:6], "BeginOffset": 0, "EndOffset": min(6, len(text))}]}
        if op == "DetectToxicContent":
            return 200, {"ResultList": [{"Labels": [{"Name": "INSULT", "Score": 0.01}], "Toxicity": 0.02}
                                        for _ in req.get("TextSegments", [])]}
        if op == "RecognizeCelebrities":
            return 200, {"CelebrityFaces": [], "UnrecognizedFaces": []}
        if op == "DetectLabels":
            return 200, {"Labels": [{"Name": "Bird", "Confidence": 97.0, "Parents": []}], "LabelModelVersion": "3.0"}
        if op == "DetectText":
            return 200, {"TextDetections": []}
        if op == "DescribeCollection":
            return 200, {"FaceCount": 0, "FaceModelVersion": "7.0", "CollectionARN":
                         f"arn:aws:rekognition:{REGION}:{ACCOUNT}:collection/{req.get('CollectionId', '')}"}
        if op == "DetectModerationLabels":
            return 200, {"ModerationLabels": [], "ModerationModelVersion": "7.0"}
        return 400, {"__type": "UnknownOperationException", "message": f"the coldstart stub has no {op}"}


def lex_answer(session: str) -> dict:
    """RecognizeText's answer, as testkit's aws_rest::lex_recognize_text_answer builds it."""
    intent = {"name": "Joke", "slots": {}, "state": "Fulfilled", "confirmationState": "None"}
    return {
        "messages": [{"content": JOKE, "contentType": "PlainText"}],
        "sessionState": {"dialogAction": {"type": "Close"}, "intent": intent, "sessionAttributes": {},
                         "originatingRequestId": "00000000-0000-0000-0000-000000000000"},
        "interpretations": [{"intent": intent, "nluConfidence": {"score": 0.93}, "interpretationSource": "Lex"},
                            {"intent": {"name": "FallbackIntent", "slots": {}}}],
        "sessionId": session,
    }


def media_tls(tmp: Path) -> tuple[ssl.SSLContext, dict[str, str]] | None:
    """A CA and a certificate for `localhost` signed by it (openssl): the servers' TLS context, and
    the environment that makes a Lambda trust that CA on top of the system roots. None without openssl.

    rustls-native-certs reads the system's bundle file and every file of its certificate directory
    (openssl-probe), but only SSL_CERT_FILE / SSL_CERT_DIR when either is set: both are set to the
    same file and directory, plus a directory holding only the CA, so the Lambdas load exactly the
    roots they load by default, and one more."""
    openssl = shutil.which("openssl")
    paths = ssl.get_default_verify_paths()
    system_file, system_dir = paths.cafile, paths.capath
    if not openssl or not system_file or not Path(system_file).exists():
        return None
    d = tmp / "tls"
    d.mkdir()
    ext = d / "leaf.ext"
    ext.write_text("subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    try:
        for cmd in (
            [openssl, "req", "-x509", *ec, "-keyout", d / "ca.key", "-out", d / "ca.pem", "-days", "2",
             "-subj", "/CN=starling coldstart CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            [openssl, "req", *ec, "-keyout", d / "leaf.key", "-out", d / "leaf.csr", "-subj", "/CN=localhost"],
            [openssl, "x509", "-req", "-in", d / "leaf.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
             "-CAcreateserial", "-out", d / "leaf.pem", "-days", "2", "-extfile", ext],
        ):
            subprocess.run([str(c) for c in cmd], check=True, capture_output=True)
    except subprocess.CalledProcessError as e:
        log(f"openssl failed ({e.stderr.decode(errors='replace').strip()[:200]}); download-media gets no https stub")
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "leaf.pem", d / "leaf.key")
    (d / "roots").mkdir()
    shutil.copy(d / "ca.pem", d / "roots" / "starling-coldstart-ca.pem")
    dirs = [p for p in (system_dir,) if p and Path(p).is_dir()] + [str(d / "roots")]
    return ctx, {"SSL_CERT_FILE": system_file, "SSL_CERT_DIR": ":".join(dirs)}


# --------------------------------------------------------------------------------------------
# The functions: cdk/lib/functions.ts for memory, timeout and environment; the cases below for
# the event and what else each needs.


@dataclass
class CdkSpec:
    name: str
    crate: str
    memory_mb: int
    timeout_s: int
    env: dict[str, str]  # variable -> wiring key
    fixed_env: dict[str, str]


def read_cdk_specs(path: Path) -> dict[str, CdkSpec]:
    text = path.read_text()
    start = text.index("export const FUNCTIONS")
    block = text[start:text.index("\n];", start)]
    block = "\n".join(line for line in block.splitlines() if not line.strip().startswith("//"))
    pairs = re.compile(r"(\w+):\s*'([^']*)'")
    specs = {}
    for chunk in re.split(r"(?=\bname:\s*')", block)[1:]:
        def one(pattern: str, _chunk: str = chunk) -> str:
            m = re.search(pattern, _chunk)
            if not m:
                raise ValueError(f"{path}: no {pattern!r} in {_chunk[:80]!r}")
            return m.group(1)
        env = re.search(r"\benv:\s*\{([^}]*)\}", chunk)
        fixed = re.search(r"\bfixedEnv:\s*\{([^}]*)\}", chunk)
        spec = CdkSpec(
            name=one(r"name:\s*'([^']+)'"), crate=one(r"crate:\s*'([^']+)'"),
            memory_mb=int(one(r"memoryMb:\s*(\d+)")), timeout_s=int(one(r"timeout:\s*s\((\d+)\)")),
            env=dict(pairs.findall(env.group(1))) if env else {},
            fixed_env=dict(pairs.findall(fixed.group(1))) if fixed else {},
        )
        specs[spec.crate] = spec
    return specs


@dataclass
class Case:
    name: str                     # row label (and --only name)
    crate: str | None = None      # directory under lambdas/ (None: a harness floor)
    event: str | None = None      # events/<event>
    env: dict[str, str] = field(default_factory=dict)  # on top of the CDK row; values are templates
    stub_services: tuple[str, ...] = ()   # services moto lacks operations of (--stub-missing)
    moto_gap: str = ""            # what moto lacks, for the note
    note: str = ""
    hook: str | None = None       # "sign-webhook"
    floor: str | None = None      # "python" | "bash"
    needs_media_tls: bool = False


STUB_ENV = {
    "comprehend": "AWS_ENDPOINT_URL_COMPREHEND",
    "rekognition": "AWS_ENDPOINT_URL_REKOGNITION",
    "lex": "AWS_ENDPOINT_URL_LEX_RUNTIME_V2",
}

CASES = [
    Case("harness floor: python", floor="python", event="alert.json",
         note="trivial Python bootstrap (interpreter start-up is in its init)"),
    Case("harness floor: bash", floor="bash", event="alert.json",
         note="trivial bash bootstrap over /dev/tcp"),
    Case("ingress", "ingress", "ingress.json", hook="sign-webhook",
         note="HTTP API v2 POST, delivery signed with the secret's ApiSecret"),
    Case("poll-mentions", "poll-mentions", "poll-mentions.json", env={"X_API_BASE": "{{STUB_URL}}"},
         note="X stub answers 2 new mentions per poll"),
    Case("download-media", "download-media", "download-media.json",
         env={"MEDIA_ALLOWED_HOSTS": "localhost"}, needs_media_tls=True,
         note="1 photo (163 kB) from a loopback https host (its CA added through SSL_CERT_FILE/SSL_CERT_DIR)"),
    Case("analyse-image", "analyse-image", "analyse-image.json", stub_services=("rekognition",),
         moto_gap="moto lacks Rekognition RecognizeCelebrities (HTTP 500, retried by the SDK)"),
    Case("analyse-text", "analyse-text", "analyse-text.json", stub_services=("comprehend",),
         moto_gap="moto lacks Comprehend DetectEntities (HTTP 500, retried by the SDK)"),
    Case("alert", "alert", "alert.json"),
    Case("reply-image", "reply-image", "reply-image.json", stub_services=("rekognition",),
         moto_gap="moto lacks Rekognition DetectModerationLabels (HTTP 500, retried by the SDK)",
         note="annotates a 163 kB photo"),
    Case("reply-text", "reply-text", "reply-text.json", stub_services=("lex", "comprehend"),
         moto_gap="moto has no Lex V2 runtime (RecognizeText 404) nor Comprehend DetectToxicContent"),
    Case("lex-fulfilment", "lex-fulfilment", "lex-fulfilment.json", note="as deployed: no remote source"),
    Case("lex-fulfilment+remote", "lex-fulfilment", "lex-fulfilment.json",
         env={"JOKE_SOURCE_URL": "{{STUB_URL}}/joke"}, note="JOKE_SOURCE_URL on the loopback stub"),
    Case("egress", "egress", "egress.json", env={"X_API_BASE": "{{STUB_URL}}", "X_UPLOAD_BASE": "{{STUB_URL}}"},
         note="text reply posted on the X stub"),
    Case("repost", "repost", "repost.json",
         env={"X_API_BASE": "{{STUB_URL}}",
              "REPLY_POLICY": json.dumps({"repost": {"enabled": True, "authors": [CURATED_AUTHOR_ID], "dailyCap": 1000}})},
         note="REPLY_POLICY enables repost (CDK default {} would do nothing); curated author"),
    Case("firehose-transform", "firehose-transform", "firehose-transform.json", note="6 records"),
]

FLOOR_PY = r'''
import os, socket
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
def answer():
    f.readline()
    length, rid = 0, None
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        k = k.strip().lower()
        if k == "content-length":
            length = int(v)
        elif k == "lambda-runtime-aws-request-id":
            rid = v.strip()
    return rid, f.read(length)
while True:
    s.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: runtime\r\n\r\n")
    rid, body = answer()
    s.sendall(b"POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: runtime\r\n"
              b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" % rid.encode())
    answer()
'''

FLOOR_BASH = r'''#!/bin/bash
export LC_ALL=C
exec 3<>"/dev/tcp/${AWS_LAMBDA_RUNTIME_API%:*}/${AWS_LAMBDA_RUNTIME_API##*:}"
answer() {
  len=0; id=
  IFS= read -r line <&3
  while IFS= read -r line <&3; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
    case "${line,,}" in
      content-length:*) len=${line#*: } ;;
      lambda-runtime-aws-request-id:*) id=${line#*: } ;;
    esac
  done
  [ "$len" -gt 0 ] && IFS= read -r -N "$len" body <&3
}
# printf straight to the socket writes once per line (Nagle + delayed ACK: 40 ms); one write each.
printf -v next 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: runtime\r\n\r\n'
while :; do
  printf '%s' "$next" >&3
  answer
  printf -v post 'POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: runtime\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}' "$id"
  printf '%s' "$post" >&3
  answer
done
'''


# --------------------------------------------------------------------------------------------
# Events.

PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def set_pointer(doc, pointer: str, value) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    for p in parts[:-1]:
        doc = doc[int(p)] if isinstance(doc, list) else doc[p]
    last = parts[-1]
    if isinstance(doc, list):
        doc[int(last)] = value
    else:
        doc[last] = value


def get_pointer(doc, pointer: str):
    for p in pointer.lstrip("/").split("/"):
        if p:
            p = p.replace("~1", "/").replace("~0", "~")
            doc = doc[int(p)] if isinstance(doc, list) else doc[p]
    return doc


_fixtures: dict[str, object] = {}


def render(node, values: dict):
    if isinstance(node, dict):
        if "$fixture" in node:
            path = node["$fixture"]
            if path not in _fixtures:
                _fixtures[path] = json.loads((REPO / path).read_text())
            doc = json.loads(json.dumps(_fixtures[path]))  # a copy
            for pointer, value in node.get("$set", {}).items():
                set_pointer(doc, pointer, render(value, values))
            if "$pointer" in node:
                doc = get_pointer(doc, node["$pointer"])
            return render(doc, values)
        if "$json" in node:
            return json.dumps(render(node["$json"], values), separators=(",", ":"), ensure_ascii=False)
        if "$base64" in node:
            v = render(node["$base64"], values)
            raw = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
            return base64.b64encode(raw.encode()).decode()
        return {k: render(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [render(v, values) for v in node]
    if isinstance(node, str):
        m = PLACEHOLDER.fullmatch(node)
        if m and m.group(1) in values:
            return values[m.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), node)
    return node


def sign_webhook(event: dict, consumer_secret: str) -> None:
    """X's webhook signature: sha256= + base64(HMAC-SHA256(consumer secret, raw body))."""
    digest = hmac.new(consumer_secret.encode(), event["body"].encode(), hashlib.sha256).digest()
    event["headers"]["x-twitter-webhooks-signature"] = "sha256=" + base64.b64encode(digest).decode()


# --------------------------------------------------------------------------------------------
# Measuring.


@dataclass
class World:
    args: argparse.Namespace
    tmp: Path
    moto: Moto
    endpoint: str
    api: RuntimeApi
    stubs: Stubs
    calls: CallLog
    specs: dict[str, CdkSpec]
    values: dict[str, object]
    consumer_secret: str
    tls_env: dict[str, str]
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    seen_errors: set = field(default_factory=set)


def wiring(world: World, run_tag: str, keys: set[str]) -> dict[str, str]:
    """The CDK wiring keys (functions.ts `Wiring`) as created in moto; a fresh policy table per cold start."""
    v = world.values
    policy = f"starling-reply-policy-{run_tag}"
    if "policyTableName" in keys:
        world.moto.create_table(policy, "Key")
    return {
        "eventBusName": v["BUS"], "eventBusArn": v["BUS_ARN"], "secretArn": v["SECRET_ARN"],
        "botUserId": BOT_USER_ID, "mediaBucketName": v["BUCKET"], "alertTopicArn": v["TOPIC_ARN"],
        "botId": "ABCDE12345", "botAliasId": "TSTALIASID", "botLocaleId": "en_US",
        "idempotencyTableName": v["IDEMPOTENCY_TABLE"], "policyTableName": policy,
        "dedupTableName": v["DEDUP_TABLE"], "deferRoleArn": f"arn:aws:iam::{ACCOUNT}:role/starling-egress-defer",
        "checkpointTableName": v["CHECKPOINT_TABLE"], "replyPolicy": "{}", "dryRun": "false",
        "faceCollectionId": "starling-faces",
    }


def environment(world: World, case: Case, task_root: Path, run_tag: str) -> dict[str, str]:
    spec = world.specs.get(case.crate or "")
    fn = f"starling-{spec.name if spec else case.name.split(':')[-1].strip().replace(' ', '-')}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": world.api.address,
        "AWS_LAMBDA_FUNCTION_NAME": fn,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb if spec else 128),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/12/07/[$LATEST]{uuid.uuid4().hex}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(task_root),
        "_HANDLER": "bootstrap",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_SESSION_TOKEN": "test",
        "AWS_ENDPOINT_URL": world.endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "RUST_LOG": "info",
    }
    if spec:
        env.update(spec.fixed_env)
        wired = wiring(world, run_tag, set(spec.env.values()))
        for var, key in spec.env.items():
            if key not in wired:
                raise RuntimeError(f"{case.name}: functions.ts wires {var} from {key}, which this script does not create")
            env[var] = wired[key]
    if world.args.tls_endpoint or case.needs_media_tls:
        env.update(world.tls_env)
    for k, v in case.env.items():
        env[k] = render(v, world.values)
    if world.args.stub_missing:
        for service in case.stub_services:
            env[STUB_ENV[service]] = world.stubs.url
    return env


def new_values(world: World) -> dict[str, object]:
    n = next(world.seq)
    values = dict(world.values)
    values.update(
        SEQ=n, TWEET_ID=f"185{n:016d}", TWEET_ID_NUM=int(f"185{n:016d}"),
        USER_ID=f"9{n:09d}", USER_ID_NUM=int(f"9{n:09d}"), AUTHOR=f"reader{n}", UUID=str(uuid.uuid4()),
    )
    return values


def make_event(world: World, case: Case, template) -> bytes:
    event = render(template, new_values(world))
    if case.hook == "sign-webhook":
        sign_webhook(event, world.consumer_secret)
    text = json.dumps(event, ensure_ascii=False)
    left = PLACEHOLDER.findall(text)
    if left:
        raise RuntimeError(f"{case.event}: no value for {sorted(set(left))}")
    return text.encode()


def read_status(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "Threads"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def error_type(answer: Answer) -> str:
    try:
        body = json.loads(answer.body)
        return str(body.get("errorType") or "?")
    except (ValueError, AttributeError):
        return "?"


def tail(path: Path, n: int = 12) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line[:400] for line in lines[-n:])


def busy_sample() -> tuple[int, int]:
    """(non-nice busy, total) jiffies of all CPUs: niced work (a background build at nice 19) does not
    count as busy, since a cold start at nice 0 preempts it."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    return user + system + irq + softirq + steal, user + nice + system + idle + iowait + irq + softirq + steal


def wait_until_idle(threshold: float, max_wait: float) -> tuple[float, float]:
    """Waits until the machine's non-nice CPU use over half a second is at most `threshold` (a
    fraction of all CPUs; the harness and moto are idle between cold starts). Returns (seconds
    waited, the last busy fraction)."""
    start = time.monotonic()
    while True:
        b0, t0 = busy_sample()
        time.sleep(0.5)
        b1, t1 = busy_sample()
        busy = (b1 - b0) / max(1, t1 - t0)
        if busy <= threshold or time.monotonic() - start > max_wait:
            return time.monotonic() - start, busy


def run_once(world: World, case: Case, command: list[str], task_root: Path, run: int) -> dict:
    args = world.args
    run_tag = f"{run}-{uuid.uuid4().hex[:8]}"
    env = environment(world, case, task_root, run_tag)
    template = json.loads((EVENTS / case.event).read_text())
    events = [(str(uuid.uuid4()), make_event(world, case, template)) for _ in range(1 + args.warm)]
    spec = world.specs.get(case.crate or "")
    session = Session(events, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{env['AWS_LAMBDA_FUNCTION_NAME']}",
                      spec.timeout_s if spec else 30)
    log_path = world.tmp / "logs" / f"{case.name.replace(' ', '_').replace(':', '')}-{run}.log"
    result: dict = {"run": run, "status": "ok"}
    if args.idle_threshold > 0:
        waited, busy = wait_until_idle(args.idle_threshold, args.idle_wait)
        result["idle_wait_s"], result["busy_before"] = round(waited, 1), round(busy, 3)
        if busy > args.idle_threshold:
            result["contended"] = True
    result["at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    world.api.begin(session)
    with open(log_path, "wb") as out:
        t0 = now_ns()
        proc = subprocess.Popen(command, cwd=task_root, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
        session.pid = proc.pid
        try:
            api = world.api
            if not api.wait(lambda: session.next_times or session.init_error, args.timeout, proc):
                result["status"] = "no /next" if proc.poll() is None else f"exited {proc.returncode} before /next"
            elif session.init_error is not None:
                result["status"] = "init error"
                result["init_error"] = session.init_error.decode(errors="replace")[:500]
            else:
                for request_id, _ in events:
                    if not api.wait(lambda rid=request_id: rid in session.answers or session.init_error,
                                    args.timeout, proc):
                        result["status"] = "timeout" if proc.poll() is None else f"exited {proc.returncode}"
                        break
                # The runtime's poll after the last answer: the invocation is completely done.
                api.wait(lambda: len(session.next_times) > len(session.answers), 2.0, proc)
            if proc.poll() is None:
                result["proc"] = read_status(proc.pid)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            world.api.end()

    nexts, cpus = session.next_times, session.next_cpu
    result["init_ms"] = ms(nexts[0] - t0) if nexts else None
    result["init_cpu_ms"] = ms(cpus[0]) if cpus and cpus[0] is not None else None
    durations, kinds, cpu = [], [], []
    for i, (request_id, _) in enumerate(events):
        answer = session.answers.get(request_id)
        if answer is None:
            break
        start = session.handed[request_id]
        durations.append(ms(answer.at - start))
        kinds.append(answer.kind if answer.kind == "response" else error_type(answer))
        if i + 1 < len(cpus) and cpus[i] is not None and cpus[i + 1] is not None:
            cpu.append(ms(cpus[i + 1] - cpus[i]))
        if args.trace_calls:
            calls = world.calls.between(start, answer.at)
            result.setdefault("calls", []).append({
                "n": len(calls), "busy_ms": ms(busy_ns(calls)),
                "ops": [f"{c.service}:{c.op}{'' if c.status < 400 else f' ({c.status})'}" for c in calls],
            })
        if answer.kind == "error":
            key = (case.name, error_type(answer))
            if key not in world.seen_errors:
                world.seen_errors.add(key)
                log(f"  {case.name}: invocation {i} answered /error: {answer.body.decode(errors='replace')[:400]}")
    world.calls.clear()
    result["first_ms"] = durations[0] if durations else None
    result["warm_ms"] = durations[1:]
    result["outcomes"] = kinds
    result["first_cpu_ms"] = cpu[0] if cpu else None
    result["warm_cpu_ms"] = cpu[1:]
    if result["status"] != "ok" or not durations:
        key = (case.name, result["status"])
        if key not in world.seen_errors:
            world.seen_errors.add(key)
            log(f"  {case.name}: run {run}: {result['status']}; it logged:\n{tail(log_path)}")
    return result


# --------------------------------------------------------------------------------------------
# Report.


def fmt(v: float | None, digits: int = 1) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def summarise(case: Case, runs: list[dict], zip_bytes: int | None, raw_bytes: int | None, args) -> dict:
    def figure(key):
        vals = [r[key] for r in runs if r.get(key) is not None]
        return {"median": quantile(vals, 0.5), "p90": quantile(vals, 0.9), "n": len(vals)}

    for r in runs:
        r["warm_median_ms"] = quantile(r["warm_ms"], 0.5)
        r["warm_cpu_median_ms"] = quantile(r["warm_cpu_ms"], 0.5)
        r["hwm_mb"] = r["proc"]["VmHWM"] / 1024 if r.get("proc", {}).get("VmHWM") else None
        r["anon_mb"] = r["proc"]["RssAnon"] / 1024 if r.get("proc", {}).get("RssAnon") else None
    outcomes = collections.Counter(o for r in runs for o in r["outcomes"])
    expected = len(runs) * (1 + args.warm)
    hwm = [r["hwm_mb"] for r in runs if r.get("hwm_mb") is not None]
    summary = {
        "init_ms": figure("init_ms"), "first_ms": figure("first_ms"), "warm_ms": figure("warm_median_ms"),
        "init_cpu_ms": figure("init_cpu_ms"), "first_cpu_ms": figure("first_cpu_ms"),
        "warm_cpu_ms": figure("warm_cpu_median_ms"),
        "peak_rss_mb": {"median": quantile(hwm, 0.5), "max": max(hwm) if hwm else None, "n": len(hwm)},
        "rss_anon_mb": figure("anon_mb"),
        "ok": outcomes.get("response", 0), "invocations": expected,
        "errors": {k: v for k, v in outcomes.items() if k != "response"},
        "failed_runs": collections.Counter(r["status"] for r in runs if r["status"] != "ok"),
        "contended_runs": sum(1 for r in runs if r.get("contended")),
    }
    if args.trace_calls:
        first = [r["calls"][0] for r in runs if r.get("calls")]
        warm = [c for r in runs for c in r.get("calls", [])[1:]]
        summary["calls"] = {
            "first_n": quantile([c["n"] for c in first], 0.5), "first_busy_ms": quantile([c["busy_ms"] for c in first], 0.5),
            "warm_n": quantile([c["n"] for c in warm], 0.5), "warm_busy_ms": quantile([c["busy_ms"] for c in warm], 0.5),
            "first_ops": collections.Counter(op for c in first for op in c["ops"]).most_common(),
        }
    notes = []
    if args.stub_missing and case.stub_services:
        notes.append("stubbed: " + ", ".join(s.capitalize() if s != "lex" else "Lex V2 runtime" for s in case.stub_services)
                     + " on a loopback stub")
    elif case.moto_gap:
        notes.append(case.moto_gap)
    if case.note:
        notes.append(case.note)
    if summary["errors"]:
        notes.append("errors: " + ", ".join(f"{k} ×{v}" for k, v in sorted(summary["errors"].items())))
    if summary["contended_runs"]:
        notes.append(f"{summary['contended_runs']} runs measured while other work kept the CPUs busy")
    if summary["failed_runs"]:
        notes.append("runs: " + ", ".join(f"{k} ×{v}" for k, v in summary["failed_runs"].items()))
    return {"lambda": case.name, "crate": case.crate, "zip_bytes": zip_bytes, "bootstrap_bytes": raw_bytes,
            "summary": summary, "note": "; ".join(notes), "runs": runs}


def cell(fig: dict, target: float | None) -> str:
    med, p90 = fig.get("median"), fig.get("p90")
    text = f"{fmt(med)} / {fmt(p90)}"
    if target is None or med is None:
        return text
    if med > target:
        return text + " ✗"
    if p90 is not None and p90 > target:
        return text + " (p90 ✗)"
    return text


def markdown(results: list[dict], args) -> str:
    out = [
        "| Lambda | zip MB | init ms (median / p90) | first invocation ms (median / p90) | warm ms (median / p90) "
        "| peak RSS MB (median / max) | ok | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        f"| *target* | ≤ {TARGET_ZIP_BYTES / 1e6:.2f} | ≤ {TARGET_INIT_MS:g} | ≤ {TARGET_FIRST_MS:g} | – "
        f"| ≤ {TARGET_RSS_MB:g} | | |",
    ]
    for r in results:
        s = r["summary"]
        z = r["zip_bytes"]
        zip_cell = "–" if z is None else f"{z / 1e6:.2f}" + (" ✗" if z > TARGET_ZIP_BYTES else "")
        rss = s["peak_rss_mb"]
        rss_cell = f"{fmt(rss['median'])} / {fmt(rss['max'])}"
        if rss["median"] is not None and rss["median"] > TARGET_RSS_MB:
            rss_cell += " ✗"
        elif rss["max"] is not None and rss["max"] > TARGET_RSS_MB:
            rss_cell += " (max ✗)"
        ok = f"{s['ok']}/{s['invocations']}" + ("" if s["ok"] == s["invocations"] else " ✗")
        floor = r["crate"] is None
        out.append(
            f"| {r['lambda']} | {zip_cell} | {cell(s['init_ms'], None if floor else TARGET_INIT_MS)} "
            f"| {cell(s['first_ms'], None if floor else TARGET_FIRST_MS)} | {cell(s['warm_ms'], None)} "
            f"| {rss_cell if not floor else rss_cell.replace(' ✗', '').replace(' (max ✗)', '')} | {ok} | {r['note']} |")
    out.append("")
    out.append("MB: zip in 10^6 bytes (as bundle.sh prints; budget 5 MB), RSS in MiB (as Lambda's \"Max Memory "
               "Used\"). ✗: the median misses the target; (p90 ✗): only the p90 does. Targets do not apply to the "
               "harness floor rows.")
    cpu = ["", "CPU time the process used (schedstat, all threads), median over cold starts:", "",
           "| Lambda | init CPU ms | first invocation CPU ms | warm CPU ms | RssAnon MB (median) |",
           "|---|---:|---:|---:|---:|"]
    for r in results:
        s = r["summary"]
        cpu.append(f"| {r['lambda']} | {fmt(s['init_cpu_ms']['median'])} | {fmt(s['first_cpu_ms']['median'])} "
                   f"| {fmt(s['warm_cpu_ms']['median'])} | {fmt(s['rss_anon_mb']['median'])} |")
    out.extend(cpu)
    if args.trace_calls:
        out += ["", "Calls to AWS (moto, through the tracing proxy) and the stubs inside each invocation, median; "
                "'waiting' is the time covered by those calls:", "",
                "| Lambda | first: calls | first: waiting ms | warm: calls | warm: waiting ms | first invocation's calls |",
                "|---|---:|---:|---:|---:|---|"]
        for r in results:
            c = r["summary"].get("calls")
            if not c:
                continue
            runs_n = max(1, sum(1 for x in r["runs"] if x.get("calls")))
            ops = ", ".join(op + ("" if n == runs_n else f" ×{n / runs_n:.3g}") for op, n in c["first_ops"])
            out.append(f"| {r['lambda']} | {fmt(c['first_n'], 0)} | {fmt(c['first_busy_ms'])} | {fmt(c['warm_n'], 0)} "
                       f"| {fmt(c['warm_busy_ms'])} | {ops} |")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------


def default_lambda_dir() -> Path:
    if os.environ.get("LAMBDA_DIR"):
        return Path(os.environ["LAMBDA_DIR"])
    if os.environ.get("CARGO_TARGET_DIR"):
        return Path(os.environ["CARGO_TARGET_DIR"]) / "lambda"
    cache = Path.home() / ".cache" / "starling" / "target" / "lambda"
    return cache if cache.exists() else REPO / "target" / "lambda"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=20, help="cold starts per Lambda (default 20)")
    p.add_argument("--warm", type=int, default=10, help="warm invocations after the first (default 10)")
    p.add_argument("--warmup", type=int, default=1,
                   help="discarded cold starts per row before measuring (default 1): moto imports a service's "
                        "backend on its first request, and the bootstrap is read from disk the first time")
    p.add_argument("--only", default="", help="comma-separated row names (e.g. ingress,alert,lex-fulfilment+remote)")
    p.add_argument("--lambda-dir", type=Path, default=None,
                   help="where bundle.sh put <function>/bootstrap.zip (default $LAMBDA_DIR, "
                        "$CARGO_TARGET_DIR/lambda, ~/.cache/starling/target/lambda, target/lambda)")
    p.add_argument("--json", type=Path, default=None, help="write every figure of every run here")
    p.add_argument("--stub-missing", action="store_true",
                   help="serve the AWS operations moto lacks from a loopback stub (marked 'stubbed')")
    p.add_argument("--trace-calls", action="store_true",
                   help="route AWS calls through a recording proxy in front of moto and report calls per "
                        "invocation (adds the proxy's hop, ~1 ms, to each AWS call)")
    p.add_argument("--tls-endpoint", action="store_true",
                   help="serve moto over https (a TLS-terminating recording proxy on localhost, its CA added to "
                        "SSL_CERT_FILE) so the Lambdas pay TLS to AWS as they do on Lambda; implies the proxy's hop")
    p.add_argument("--no-floor", action="store_true", help="skip the harness floor rows")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for init or one answer (default 60)")
    p.add_argument("--idle-threshold", type=float, default=0.2,
                   help="before each cold start, wait until other work uses at most this fraction of the CPUs "
                        "(non-nice time in /proc/stat over 0.5 s; default 0.2, 0 to never wait)")
    p.add_argument("--idle-wait", type=float, default=600.0,
                   help="seconds to wait for that at most, then measure anyway and mark the run contended")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, unzipped bootstraps)")
    p.add_argument("--wrap", default="", help="diagnostics only: a command prefix for each bootstrap, e.g. "
                   "'strace -f -ttt -o /tmp/ingress.trace' with --runs 1 (timings and VmHWM are then the wrapper's)")
    args = p.parse_args()
    if args.runs < 1 or args.warm < 1:
        p.error("--runs and --warm must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    lambda_dir = args.lambda_dir or default_lambda_dir()
    specs = read_cdk_specs(REPO / "cdk" / "lib" / "functions.ts")
    crates = sorted(p.parent.name for p in (REPO / "lambdas").glob("*/Cargo.toml"))
    known = {c.crate for c in CASES if c.crate}
    for crate in crates:
        if crate not in known:
            log(f"warning: lambdas/{crate} has no case in {Path(__file__).name} (no event): not measured")
    cases = [c for c in CASES if c.crate is None or c.crate in crates]
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        unknown = [w for w in wanted if w not in {c.name for c in cases}]
        if unknown:
            sys.exit(f"--only: no such row {unknown}; rows: {', '.join(c.name for c in cases)}")
        cases = [c for c in cases if c.name in wanted or (c.floor and not args.no_floor)]
    if args.no_floor:
        cases = [c for c in cases if not c.floor]
    missing = [c.crate for c in cases if c.crate and not (lambda_dir / c.crate / "bootstrap.zip").exists()]
    if missing:
        sys.exit(f"no bootstrap.zip in {lambda_dir} for {sorted(set(missing))}: run `bash scripts/bundle.sh` first")

    tmp = Path(tempfile.mkdtemp(prefix="starling-coldstart-"))
    (tmp / "logs").mkdir()
    moto = proxy = stubs = api = None

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    try:
        # Bootstraps, unzipped as Lambda does into the task root.
        commands: dict[str, tuple[list[str], Path, int | None, int | None]] = {}
        for case in cases:
            root = tmp / "task" / (case.crate or case.floor or case.name)
            if case.crate and case.crate not in commands:
                zpath = lambda_dir / case.crate / "bootstrap.zip"
                root.mkdir(parents=True)
                with zipfile.ZipFile(zpath) as z:
                    z.extractall(root)
                    raw = sum(i.file_size for i in z.infolist())
                (root / "bootstrap").chmod(0o755)
                commands[case.crate] = ([str(root / "bootstrap")], root, zpath.stat().st_size, raw)
            elif case.floor == "python":
                root.mkdir(parents=True)
                (root / "bootstrap.py").write_text(FLOOR_PY)
                commands[case.name] = ([sys.executable, "-I", "-S", str(root / "bootstrap.py")], root, None, None)
            elif case.floor == "bash":
                root.mkdir(parents=True)
                (root / "bootstrap").write_text(FLOOR_BASH)
                (root / "bootstrap").chmod(0o755)
                commands[case.name] = ([str(root / "bootstrap")], root, None, None)

        log(f"starting moto ({REPO / '.venv'}) …")
        moto = Moto(REPO / ".venv", tmp / "moto.log")
        calls = CallLog()
        tls = media_tls(tmp) if args.tls_endpoint or any(c.needs_media_tls for c in cases) else None
        if args.tls_endpoint and not tls:
            sys.exit("--tls-endpoint needs openssl (to make a certificate for localhost)")
        if args.trace_calls or args.tls_endpoint:
            proxy = MotoProxy(moto.port, calls, tls[0] if args.tls_endpoint else None)
        stubs = Stubs(calls, tls[0] if tls else None)
        api = RuntimeApi()

        # Shared resources (the policy table is per cold start, in wiring()).
        suffix = uuid.uuid4().hex[:8]
        bucket = f"starling-media-{suffix}"
        moto.create_bucket(bucket)
        image_key = "media/2026/11/23/1461823445431828482/0.jpg"
        moto.put_object(bucket, image_key, PHOTO.read_bytes(), "image/jpeg")
        tables = {}
        for var, key in (("IDEMPOTENCY_TABLE", "IdempotencyKey"), ("DEDUP_TABLE", "IdempotencyKey"),
                         ("CHECKPOINT_TABLE", "Source")):
            tables[var] = f"starling-{var.lower().replace('_', '-')}-{suffix}"
            moto.create_table(tables[var], key)
        bus = f"starling-{suffix}"
        secret_arn = moto.create_secret(f"starling/x-{suffix}", {
            "ApiKey": "coldstart-api-key", "ApiSecret": CONSUMER_SECRET,
            "AccessToken": "coldstart-token", "AccessTokenSecret": "coldstart-token-secret"})
        values = {
            "BUCKET": bucket, "IMAGE_KEY": image_key, "BUS": bus, "BUS_ARN": moto.create_bus(bus),
            "SECRET_ARN": secret_arn, "TOPIC_ARN": moto.create_topic(f"starling-alerts-{suffix}"),
            "BOT_USER_ID": BOT_USER_ID, "CURATED_AUTHOR_ID": CURATED_AUTHOR_ID, "STUB_URL": stubs.url,
            # Without openssl: an http URL, which the https-only guard refuses before any request.
            "MEDIA_URL": f"{stubs.media_url}/media/FEaFZ1XWQAI0x4x.jpg" if stubs.media_url else
            "http://pbs.twimg.com/media/FEaFZ1XWQAI0x4x.jpg",
            **tables,
        }
        # The webhook is signed with the consumer secret as stored in Secrets Manager.
        consumer_secret = moto.secret_value(secret_arn)["ApiSecret"]
        world = World(args, tmp, moto, proxy.url if proxy else moto.url, api, stubs, calls, specs, values,
                      consumer_secret, tls[1] if tls else {})
        if any(c.needs_media_tls for c in cases) and not tls:
            for c in cases:
                if c.needs_media_tls:
                    c.note = "no openssl: an http:// photo URL, refused by the https-only guard before any " \
                             "request (no download, no S3 put)"
                    c.env, c.needs_media_tls = {}, False
        moto_rtt = moto.round_trip_ms(secret_arn)
        log(f"moto on {moto.url}: GetSecretValue round trip from Python {moto_rtt:.1f} ms (median of 30)")

        load_start = os.getloadavg()[0]
        if load_start > 0.5 * (os.cpu_count() or 1):
            log(f"warning: load average {load_start:.2f} on {os.cpu_count()} CPUs: something else is running, "
                "and cold starts share the CPUs with it")
        runs: dict[str, list[dict]] = {c.name: [] for c in cases}
        started = time.monotonic()
        for run in range(-args.warmup, args.runs):
            for case in cases:
                command, root, _, _ = commands[case.crate or case.name]
                r = run_once(world, case, shlex.split(args.wrap) + command, root, run)
                if run < 0:
                    continue
                runs[case.name].append(r)
                log(f"[{run + 1}/{args.runs}] {case.name:24s} init {fmt(r['init_ms']):>7} ms  "
                    f"first {fmt(r['first_ms']):>8} ms  warm {fmt(quantile(r['warm_ms'], 0.5)):>8} ms  "
                    f"VmHWM {fmt(r.get('proc', {}).get('VmHWM', 0) / 1024):>6} MiB  "
                    f"{sum(o == 'response' for o in r['outcomes'])}/{1 + args.warm} ok"
                    + ("" if r["status"] == "ok" else f"  [{r['status']}]")
                    + (f"  (waited {r['idle_wait_s']:.0f} s for idle CPUs)" if r.get("idle_wait_s", 0) >= 1 else "")
                    + ("  [contended]" if r.get("contended") else ""))

        results = []
        for case in cases:
            _, _, zip_bytes, raw_bytes = commands[case.crate or case.name]
            results.append(summarise(case, runs[case.name], zip_bytes, raw_bytes, args))

        cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), platform.processor())
        header = (f"{args.runs} cold starts per row (after {args.warmup} discarded), each followed by {args.warm} "
                  f"warm invocations{'; AWS operations moto lacks on a loopback stub' if args.stub_missing else ''}"
                  f"{'; AWS over https (TLS-terminating proxy in front of moto)' if args.tls_endpoint else ''}; bundles from "
                  f"{lambda_dir}; {os.cpu_count()} × {cpu_model}, Linux {platform.release()}; load average "
                  f"{load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
                  f"{f'; each cold start waited for non-nice CPU use ≤ {args.idle_threshold:.0%}' if args.idle_threshold > 0 else ''}; moto GetSecretValue round trip {moto_rtt:.1f} ms; "
                  f"{time.monotonic() - started:.0f} s.")
        print()
        print(header)
        print()
        print(markdown(results, args))
        if args.json:
            args.json.write_text(json.dumps({
                "meta": {"runs": args.runs, "warm": args.warm, "lambda_dir": str(lambda_dir), "cpu": cpu_model,
                         "cpus": os.cpu_count(), "kernel": platform.release(), "moto_rtt_ms": moto_rtt,
                         "stub_missing": args.stub_missing, "trace_calls": args.trace_calls,
                         "tls_endpoint": args.tls_endpoint,
                         "targets": {"init_ms": TARGET_INIT_MS, "first_ms": TARGET_FIRST_MS,
                                     "peak_rss_mb": TARGET_RSS_MB, "zip_bytes": TARGET_ZIP_BYTES}},
                "results": results}, indent=1, default=dict))
            log(f"wrote {args.json}")
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if api is not None:
            api.end()
        if moto is not None:
            moto.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
