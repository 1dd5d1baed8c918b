#!/usr/bin/env python3
"""Writes the bad-input corpus under tests/data/bad/ from one real fixture.

Each file is one way a recording can be broken; the tests in tests/tests/recording_bad.rs
state the expected error for each. Run from the repository root:

    python3 scripts/make-bad-recordings.py
"""

import gzip
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests/data/recordings/chalk-ci-automated-todo-entry.json"
OUT = ROOT / "tests/data/bad"


def packed(raw: bytes) -> str:
    """posthog-js packing: one character per gzip byte."""
    return "".join(chr(b) for b in gzip.compress(raw, 9))


def nested_snapshot(levels: int) -> dict:
    """Build a FullSnapshot that nests `levels` divs around a button."""
    node = {
        "type": 2,
        "tagName": "button",
        "attributes": {"id": "deep"},
        "childNodes": [{"type": 3, "textContent": "Deep button", "id": 100000}],
        "id": 99999,
    }
    for level in range(levels):
        node = {"type": 2, "tagName": "div", "attributes": {}, "childNodes": [node], "id": 10 + level}
    document = {"type": 0, "childNodes": [node], "id": 1}
    return {"node": document, "initialOffset": {"top": 0, "left": 0}}


def write(name: str, content) -> None:
    path = OUT / name
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)


def main() -> None:
    # The nested fixtures pass Python's default recursion limit of 1000 while encoding.
    sys.setrecursionlimit(20000)
    OUT.mkdir(parents=True, exist_ok=True)
    source_text = SOURCE.read_text()
    events = json.loads(source_text)
    start = events[0]["timestamp"]

    write("not-json.txt", "This is a plain text note, not a recording.\n")
    write("truncated.json", source_text[: len(source_text) // 3])
    write("wrong-shape.json", json.dumps({"name": "checkout", "items": [1, 2, 3]}))
    write("empty-array.json", "[]\n")
    write("unsupported-version.json", json.dumps({"version": "2099-01-01", "data": {"snapshots": []}}))
    no_timestamps = [{k: v for k, v in e.items() if k != "timestamp"} for e in events[:5]]
    write("no-timestamps.json", json.dumps(no_timestamps))
    incremental = [e for e in events if e["type"] == 3][:40]
    write("no-full-snapshot.json", json.dumps(incremental))

    meta = {"type": 4, "data": {"href": "https://example.com/", "width": 800, "height": 600}, "timestamp": start}
    bad_snapshot = dict(type=2, data="\u263a not gzip", timestamp=start + 1, cv="2024-10")
    write("invalid-compressed.jsonl", "\n".join(json.dumps(["w1", e]) for e in [meta, bad_snapshot]) + "\n")

    # 300 MiB of spaces packed into one field: past the 256 MiB per-field default. The file is
    # gzip-compressed again, so the corpus stays small.
    bomb = dict(type=2, data=packed(b" " * (300 << 20)), timestamp=start + 1, cv="2024-10")
    lines = "\n".join(json.dumps(["w1", e]) for e in [meta, bomb]) + "\n"
    write("gzip-bomb.jsonl.gz", gzip.compress(lines.encode(), 9))

    deep = [meta, {"type": 2, "data": nested_snapshot(1200), "timestamp": start + 1}]
    write("deeply-nested.json", json.dumps(deep, separators=(",", ":")))
    # Deeper than serde_json's default limit of 128 levels, within the loader's bound.
    click = {"type": 3, "data": {"source": 2, "type": 2, "id": 99999, "x": 5, "y": 5}, "timestamp": start + 500}
    deep_ok = [meta, {"type": 2, "data": nested_snapshot(300), "timestamp": start + 1}, click]
    write("deep-but-allowed.json", json.dumps(deep_ok, separators=(",", ":")))

    orphan = {
        "type": 3,
        "data": {
            "source": 0,
            "texts": [{"id": 777777, "value": "gone"}],
            "attributes": [{"id": 777778, "attributes": {"class": "x"}}],
            "removes": [{"parentId": 1, "id": 777779}],
            "adds": [{"parentId": 777780, "nextId": None, "node": {"type": 3, "textContent": "orphan", "id": 777781}}],
        },
        "timestamp": events[2]["timestamp"],
    }
    write("mutation-missing-node.json", json.dumps(events[:2] + [orphan] + events[2:], separators=(",", ":")))


if __name__ == "__main__":
    main()
