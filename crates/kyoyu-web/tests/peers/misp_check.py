"""Reads kyoyu's MISP feed as MISP would, and checks it field by field against PyMISP's own
feed writer: every event of manifest.json is fetched and loaded as a pymisp.MISPEvent; what
PyMISP's `to_feed(with_meta=True)` makes of that event must be the manifest entry kyoyu
serves, and the MD5 hashes kyoyu lists for it in hashes.csv.

usage: misp_check.py FEED_URL TOKEN|-
Prints one JSON line {"events": {uuid: {"info", "tags", "distribution", "values"}}};
exits 1 (with the reason on stderr) on any difference.
"""
import csv
import io
import json
import sys

import requests
from pymisp import MISPEvent

base, token = sys.argv[1].rstrip("/"), sys.argv[2]
headers = {} if token == "-" else {"Authorization": f"Bearer {token}"}


def get(path):
    r = requests.get(f"{base}/{path}", headers=headers, timeout=30)
    r.raise_for_status()
    return r


manifest = get("manifest.json").json()
hashes = {}
for row in csv.reader(io.StringIO(get("hashes.csv").text)):
    if row:
        hashes.setdefault(row[1], set()).add(row[0])
out = {}
failures = []
for uuid, entry in manifest.items():
    data = get(f"{uuid}.json").json()
    event = MISPEvent()
    event.load(data)
    feed = event.to_feed(with_meta=True, with_distribution=True)["Event"]
    theirs = json.loads(json.dumps(feed["_manifest"][uuid], default=str))
    if theirs != entry:
        failures.append(f"{uuid}: manifest {entry} != PyMISP's {theirs}")
    if set(feed["_hashes"]) != hashes.get(uuid, set()):
        failures.append(f"{uuid}: hashes.csv differs from PyMISP's {sorted(feed['_hashes'])}")
    if str(event.uuid) != uuid:
        failures.append(f"{uuid}: the event says it is {event.uuid}")
    out[uuid] = {
        "info": event.info,
        "tags": [t.name for t in event.tags],
        "distribution": int(event.distribution),
        "values": [a.value for a in event.attributes],
        "types": [a.type for a in event.attributes],
    }
if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print(json.dumps({"events": out}, ensure_ascii=False))
