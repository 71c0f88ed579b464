"""Schemathesis hooks for kyoyu's API conformance run (.ci/api-conformance).

The Excel import routes take the .xlsx file itself as the body; Schemathesis has no serializer
for that media type, so generated bodies are sent as their raw bytes (a generated value that is
not bytes is sent as its UTF-8 JSON text), which kyoyu must answer with a clear 4xx.
"""

import json

import schemathesis

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@schemathesis.serializer(XLSX)
def xlsx_bytes(ctx, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode("utf-8")
