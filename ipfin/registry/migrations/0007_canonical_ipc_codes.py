"""IPC codes stored canonically, as the imports and now right_create store them: upper case,
no whitespace, no edition suffix ("(2006.01)I"), no empty or repeated code. Rights entered
before right_create normalised them may hold "G06F 17/30" or a tab; every reader compares the
stored text (the score's cohorts and IPC breadth: PostgreSQL's read removed only spaces, the
embedded read all whitespace), so such a right fell in different subclasses on the two
databases; the read now takes the stored text as it is. Only the rows holding a character a
canonical code cannot hold (anything but A-Z, 0-9, "/" and ";") or an empty code are read, and
only those the rule changes are rewritten. The rule is written out here, as it stood
(ipfin.registry.import_mapping.normalize_ipc), so that a later change to it does not change
this migration."""

import re

from django.db import migrations
from django.db.models import Q

_EDITION = re.compile(r"\(\d{4}\.\d{2}\)[A-Z]?$")
_BATCH = 500


def _code(text: str) -> str:
    return _EDITION.sub("", "".join(text.split()).upper())


def _codes(text: str) -> str:
    codes = (_code(part) for part in text.replace("；", ";").split(";"))
    return ";".join(dict.fromkeys(code for code in codes if code))


def _canonical(apps, schema_editor):
    Right = apps.get_model("registry", "Right")
    # A canonical code holds only these characters, so every other row is read and the rule
    # decides (a positive list: the databases' own ideas of whitespace and case differ).
    untidy = r"[^A-Z0-9/;]|;;|^;|;$"
    rows = Right.objects.filter(Q(ipc_main__regex=untidy) | Q(ipc_codes__regex=untidy))
    batch = []
    for right in rows.only("pk", "ipc_main", "ipc_codes").iterator(chunk_size=_BATCH):
        tidy = _code(right.ipc_main), _codes(right.ipc_codes)
        if tidy != (right.ipc_main, right.ipc_codes):
            right.ipc_main, right.ipc_codes = tidy
            batch.append(right)
        if len(batch) == _BATCH:
            Right.objects.bulk_update(batch, ["ipc_main", "ipc_codes"])
            batch = []
    Right.objects.bulk_update(batch, ["ipc_main", "ipc_codes"])


class Migration(migrations.Migration):
    # Batch by batch, each committed: a register with many untidy rows is not locked whole.
    atomic = False
    dependencies = [("registry", "0006_trigram_search_indexes")]

    operations = [migrations.RunPython(_canonical, migrations.RunPython.noop)]
