"""The static files' storage under `ipfin serve`: WhiteNoise's compressed manifest storage, whose
file names carry a hash of their content, so WhiteNoise sends them with a far-future, immutable
Cache-Control, gzip and Brotli copies beside them. A name the manifest does not list (a file
added since the last collectstatic, a mistyped name) is linked under its plain name: a page
never fails for it (Django's own fallback computes a hashed name from the file, and fails the
page when the file is not collected).

Only under `ipfin serve` (IPFIN_STATIC_MANIFEST=1, which it sets and collects with): the demo's
runserver and the tests read the app directories as they are, with no collected manifest."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ServedStaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        key = self.hash_key(urlsplit(unquote(name)).path.strip())
        if key not in self.hashed_files:
            return name
        return str(super().stored_name(name))
