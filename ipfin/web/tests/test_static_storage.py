"""The static storage of `ipfin serve`: content-hashed names from the manifest, and a name the
manifest does not list linked as it is, never failing the page."""

from __future__ import annotations

import json
from pathlib import Path

from ipfin.web.static_storage import ServedStaticStorage


def _storage(root: Path) -> ServedStaticStorage:
    (root / "web").mkdir()
    (root / "web" / "ipfin.css").write_text("body{}")
    (root / "web" / "ipfin.0123456789ab.css").write_text("body{}")
    (root / "web" / "plain.css").write_text("p{}")  # collected without the manifest
    manifest = {"paths": {"web/ipfin.css": "web/ipfin.0123456789ab.css"}, "version": "1.1"}
    (root / "staticfiles.json").write_text(json.dumps(manifest))
    return ServedStaticStorage(location=str(root), base_url="/static/")


def test_a_listed_file_is_linked_by_its_hashed_name(tmp_path: Path) -> None:
    assert _storage(tmp_path).url("web/ipfin.css") == "/static/web/ipfin.0123456789ab.css"


def test_a_file_the_manifest_does_not_list_is_linked_as_it_is(tmp_path: Path) -> None:
    """Django's fallback hashed a file collected only under its plain name (a link to nothing)
    and failed the page for a file not collected at all (ValueError)."""
    storage = _storage(tmp_path)
    assert storage.url("web/plain.css") == "/static/web/plain.css"
    assert storage.url("web/missing.css") == "/static/web/missing.css"
