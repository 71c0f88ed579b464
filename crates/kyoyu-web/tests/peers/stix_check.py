"""Checks STIX bundles with the OASIS tools: stix2-validator in strict mode with kyoyu's
extension schemas (and the local TLP 2.0 one), then parsing with the stix2 library.

usage: stix_check.py SCHEMA_DIR BUNDLE...
Prints one JSON line {"files", "objects", "errors", "warnings", "messages"}; exits 1 on any
error or warning.
"""
import json
import sys

import stix2
from stix2validator import ValidationOptions, validate_file

schema_dir, files = sys.argv[1], sys.argv[2:]
options = ValidationOptions(strict=True, schema_dir=schema_dir, version="2.1")
errors = warnings = objects = 0
messages = []
for path in files:
    result = validate_file(path, options)
    for r in result.object_results:
        errors += len(r.errors)
        warnings += len(r.warnings)
        messages += [f"{path}: {r.object_id}: {e}" for e in r.errors]
        messages += [f"{path}: {r.object_id}: warning: {w}" for w in r.warnings]
    if not result.is_valid and not result.object_results:
        errors += 1
        messages.append(f"{path}: invalid: {getattr(result, 'fatal', None)}")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    objects += len(json.loads(text).get("objects", []))
    try:
        stix2.parse(text, allow_custom=False)
    except Exception as e:  # noqa: BLE001 - any failure to parse is the finding
        errors += 1
        messages.append(f"{path}: stix2.parse: {e}")
print(json.dumps({"files": len(files), "objects": objects, "errors": errors,
                  "warnings": warnings, "messages": messages[:50]}, ensure_ascii=False))
sys.exit(1 if errors or warnings else 0)
