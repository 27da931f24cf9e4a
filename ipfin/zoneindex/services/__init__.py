"""Writes of the demonstration-zone index (示范区指数), one module per aggregate: `systems`
(indicator systems and their indicators, versioned), `values` (the office's workbook of zone
values), `runs` (computed, reproduced, published). Each checks `Perm.ZONE_INDEX_MANAGE` (the IP
office), writes in one transaction and appends its audit record ("index.<what>")."""

from ipfin.zoneindex.services.runs import (
    index_compute,
    index_inputs,
    index_publish,
    index_run_reproduce,
)
from ipfin.zoneindex.services.systems import (
    indicator_add,
    indicator_edit,
    indicator_remove,
    system_activate,
    system_create,
    system_edit,
    system_new_version,
)
from ipfin.zoneindex.services.values import ValuesUpload, zone_values_upload

__all__ = [
    "ValuesUpload",
    "index_compute",
    "index_inputs",
    "index_publish",
    "index_run_reproduce",
    "indicator_add",
    "indicator_edit",
    "indicator_remove",
    "system_activate",
    "system_create",
    "system_edit",
    "system_new_version",
    "zone_values_upload",
]
