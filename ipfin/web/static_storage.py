"""The static files' storage under `ipfin serve`: WhiteNoise's compressed manifest storage, whose
file names carry a hash of their content, so WhiteNoise sends them with a far-future, immutable
Cache-Control, gzip and Brotli copies beside them. A name missing from the manifest (a file
added since the last collectstatic) is served under its plain name rather than failing the page.

Only under `ipfin serve` (IPFIN_STATIC_MANIFEST=1, which it sets and collects with): the demo's
runserver and the tests read the app directories as they are, with no collected manifest."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ServedStaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False
