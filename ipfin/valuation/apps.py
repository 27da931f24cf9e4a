from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValuationConfig(AppConfig):
    name = "ipfin.valuation"
    label = "valuation"
    verbose_name = _("价值评估")
