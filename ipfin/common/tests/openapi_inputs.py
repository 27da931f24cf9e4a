"""What the OpenAPI document's request bodies reach: for the sweeps that check every input of a
kind (credit codes, right numbers) carries what the document promises about it."""

from __future__ import annotations

import json
import re
from typing import Any

_REF = re.compile(r'"\$ref": "#/components/schemas/(\w+)"')


def request_body_schemas(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The component schemas a request body can hold, by name: each body's own (also inside an
    anyOf, as an optional body has it) and those they hold in turn (an owner inside a right)."""
    schemas: dict[str, dict[str, Any]] = document["components"]["schemas"]
    pending = [
        name
        for operations in document["paths"].values()
        for operation in operations.values()
        for content in operation.get("requestBody", {}).get("content", {}).values()
        for name in _REF.findall(json.dumps(content.get("schema", {})))
    ]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending += _REF.findall(json.dumps(schemas[name]))
    return {name: schemas[name] for name in sorted(reached)}
