#!/usr/bin/env python3
"""Builds a large synthetic recording for the loading benchmark.

The recording is a plain rrweb JSON array made of the real fixtures in
tests/data/recordings/, repeated one after another. Timestamps are shifted so that the copies
form one continuous session, each copy starting 1 s after the previous one ends. The output
is not committed; build it where the benchmark reads it:

    python3 scripts/make-large-recording.py /tmp/large-recording.json --size-mb 200
"""

import argparse
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = [
    "posthog-com-docs-9-pages.json",
    "rrweb-sizer-smartx-mobile-touch.json",
    "posthog-docs-local-pageview-custom-events.json",
    "posthog-com-homepage-desktop-scroll.json",
    "chalk-todo-1h43m-long-idle.json",
    "chalk-ci-automated-todo-entry.json",
    "posthog-com-docs-2-snapshots-short.json",
    "rrweb-player-demoit-react-hooks.json",
]
GAP_MS = 1_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=pathlib.Path)
    parser.add_argument("--size-mb", type=float, default=200.0, help="target size in MB (10^6 bytes)")
    args = parser.parse_args()

    sources = []
    for name in FIXTURES:
        events = json.loads((ROOT / "tests/data/recordings" / name).read_text())
        events.sort(key=lambda event: event["timestamp"])
        sources.append(events)

    target = int(args.size_mb * 1_000_000)
    written = 0
    clock = sources[0][0]["timestamp"]
    copies = 0
    with args.output.open("w") as out:
        out.write("[")
        first = True
        while written < target:
            events = sources[copies % len(sources)]
            offset = clock - events[0]["timestamp"]
            for event in events:
                shifted = dict(event, timestamp=event["timestamp"] + offset)
                text = json.dumps(shifted, separators=(",", ":"), ensure_ascii=False)
                if not first:
                    out.write(",")
                    written += 1
                out.write(text)
                written += len(text.encode())
                first = False
            clock = events[-1]["timestamp"] + offset + GAP_MS
            copies += 1
        out.write("]\n")
    print(f"wrote {args.output}: {copies} fixture copies, {written / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
