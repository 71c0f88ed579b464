"""Walks kyoyu's TAXII 2.1 server with the OASIS taxii2-client, as a MISP or OpenCTI consumer
would: discovery, the API root's collections, then every collection's objects page by page
(`limit` and `next`), again with `added_after`, its manifest, and a poll with `added_after` set to the newest
`date_added` seen (which must answer nothing new).

usage: taxii_walk.py DISCOVERY_URL TOKEN|- PAGE_SIZE
Prints one JSON line: {"collections": {alias: {"objects": [ids], "pages": n, "newest": t,
"after_newest": n, "manifest": n}}}. TOKEN "-" walks anonymously.
"""
import json
import sys

from taxii2client.v21 import Server, as_pages

url, token, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
auth = {} if token == "-" else {"user": "kyoyu", "password": token}
server = Server(url, **auth)
root = server.default
out = {"title": server.title, "collections": {}}
for c in root.collections:
    ids, pages = [], 0
    for envelope in as_pages(c.get_objects, per_request=size):
        pages += 1
        ids += [o["id"] for o in envelope.get("objects", [])]
    since = []
    for envelope in as_pages(c.get_objects, per_request=size, added_after="2000-01-01T00:00:00Z"):
        since += [o["id"] for o in envelope.get("objects", [])]
    manifest = []
    for envelope in as_pages(c.get_manifest, per_request=size):
        manifest += envelope.get("objects", [])
    newest = max((m["date_added"] for m in manifest), default=None)
    after = None
    if newest:
        after = len(c.get_objects(added_after=newest).get("objects", []))
    one = None
    if ids:
        one = [o["id"] for o in c.get_object(ids[0]).get("objects", [])]
    out["collections"][c.alias] = {
        "id": c.id, "title": c.title, "can_read": c.can_read, "objects": ids,
        "pages": pages, "since_2000": since, "manifest": len(manifest), "newest": newest,
        "after_newest": after, "get_object": one,
    }
print(json.dumps(out, ensure_ascii=False))
