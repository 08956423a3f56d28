#!/usr/bin/env python3
"""Seeds each fuzz target's corpus from the project's fixtures (run by scripts/fuzz.sh).

    python3 fuzz/seed.py CORPUS_ROOT [TARGET ...]

Writes each seed into CORPUS_ROOT/<target>/ under the SHA-1 of its bytes, as libFuzzer names
corpus files, so seeding again adds nothing twice and leaves what the fuzzer found in place.
JSON fixtures go in as they are (pretty-printed) and compact. Inputs made of two parts (a pattern
and an event, an expression and its data) are joined by a 0xFF byte, as the targets split them.
"""

import glob
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEP = b"\xff"


def files(*patterns):
    out = []
    for pattern in patterns:
        out.extend(sorted(glob.glob(os.path.join(ROOT, pattern))))
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_forms(paths):
    """Each JSON file as written and compact."""
    for path in paths:
        yield read(path)
        yield compact(load(path))


def walk(value):
    """Every (key, value) pair in a JSON document, depth first."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


X_FIXTURES = ["crates/x/tests/fixtures/*.json"]
DELIVERIES = X_FIXTURES + [
    "lambdas/ingress/tests/fixtures/delivery_mention.json",
    "crates/core/benches/fixtures/delivery_*.json",
]
ENVELOPES = [
    "crates/contracts/tests/fixtures/*.json",
    "crates/patterns/tests/fixtures/*.json",
    "lambdas/reply-text/tests/fixtures/*.json",
]
DEFINITIONS = [
    "statemachines/*.asl.json",
    "crates/states/tests/fixtures/*.asl.json",
]


def post_texts():
    """Every post and message text in the fixtures: what gets counted, fitted and signed."""
    seen = set()
    for path in files(*DELIVERIES, *ENVELOPES):
        for key, value in walk(load(path)):
            if key in ("text", "full_text", "Text", "description") and isinstance(value, str):
                if value not in seen:
                    seen.add(value)
                    yield value.encode()


def committed(name):
    """The hand-written seeds in fuzz/seeds/<name>/ (one input per file)."""
    for path in files(f"fuzz/seeds/{name}/*"):
        if not path.endswith(".md"):
            yield read(path)


def webhook_events():
    yield from json_forms(files(*DELIVERIES))
    for path in files("lambdas/ingress/tests/fixtures/apigw_*.json"):
        body = load(path).get("body")
        if isinstance(body, str):
            yield body.encode()


def crc_token():
    for path in files("lambdas/ingress/tests/fixtures/apigw_*.json"):
        event = load(path)
        query = event.get("rawQueryString")
        if query:
            yield query.encode()
        for key, value in (event.get("queryStringParameters") or {}).items():
            yield f"{key}={value}".encode()
    yield from committed("crc")


def event_pattern():
    routes = load(os.path.join(ROOT, "schemas/routes.json"))["routes"]
    patterns = [compact(r["pattern"]) for r in routes if "pattern" in r]
    events = [compact(load(p)) for p in files(*ENVELOPES)]
    for pattern in patterns:
        yield pattern
        for event in events:
            yield pattern + SEP + event


def asl_definition():
    yield from json_forms(files(*DEFINITIONS))
    yield from committed("asl")


def jsonpath_intrinsics():
    expressions = set()
    for path in files(*DEFINITIONS):
        for key, value in walk(load(path)):
            if isinstance(value, str) and (
                key.endswith(".$")
                or key in ("InputPath", "OutputPath", "ResultPath", "ItemsPath", "Variable")
                or key.endswith("Path")
            ):
                expressions.add(value.encode())
    # Two documents are enough data: the fuzzer mutates the rest.
    data = [compact(load(p)) for p in files(*ENVELOPES)][:2]
    for expression in sorted(expressions) + list(committed("intrinsics")):
        yield expression
        for document in data:
            yield expression + SEP + document


def oauth_encoding():
    yield from committed("oauth")
    yield from post_texts()


def weighted_text():
    yield from committed("text")
    yield from post_texts()


def lake_record():
    yield from json_forms(files(*ENVELOPES))
    yield from committed("lake")


def media_decode():
    for path in files("fuzz/seeds/media/*"):
        if not path.endswith(".md"):
            yield read(path)


TARGETS = {
    "webhook_events": webhook_events,
    "crc_token": crc_token,
    "event_pattern": event_pattern,
    "asl_definition": asl_definition,
    "jsonpath_intrinsics": jsonpath_intrinsics,
    "oauth_encoding": oauth_encoding,
    "weighted_text": weighted_text,
    "lake_record": lake_record,
    "media_decode": media_decode,
}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    corpus_root = sys.argv[1]
    targets = sys.argv[2:] or list(TARGETS)
    for target in targets:
        if target not in TARGETS:
            sys.exit(f"unknown target {target}; known: {' '.join(TARGETS)}")
        directory = os.path.join(corpus_root, target)
        os.makedirs(directory, exist_ok=True)
        count = 0
        for seed in TARGETS[target]():
            path = os.path.join(directory, hashlib.sha1(seed).hexdigest())
            if not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(seed)
            count += 1
        print(f"seeded {target}: {count} inputs from the fixtures")
        if count == 0:
            sys.exit(f"{target}: no seeds found; have the fixtures moved?")


if __name__ == "__main__":
    main()
