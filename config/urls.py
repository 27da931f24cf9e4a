from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView

from ipfin.api import api

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page links: the icon is one SVG.
    path(
        "favicon.ico",
        RedirectView.as_view(url=f"{settings.STATIC_URL}web/favicon.svg", permanent=True),
    ),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("loans/", include("ipfin.loans.urls")),
    path("whitelist/", include("ipfin.whitelist.urls")),
    path("financing/", include("ipfin.financing.urls")),
    path("calendar/", include("ipfin.holidays.urls")),
    path("valuations/", include("ipfin.valuation.urls")),
    path("risk/", include("ipfin.risk.urls")),
    path("guarantees/", include("ipfin.guarantees.urls")),
    path("insurance/", include("ipfin.insurance.urls")),
    path("trading/", include("ipfin.trading.urls")),
    path("stats/", include("ipfin.stats.urls")),
    path("disposals/", include("ipfin.disposals.urls")),
    path("library/", include("ipfin.outreach.urls")),
    path("index/", include("ipfin.zoneindex.urls")),
    path("", include("ipfin.pledges.urls")),
    path("", include("ipfin.registry.urls")),
    path("", include("ipfin.portal.urls")),
]

handler400 = "ipfin.web.views.error_400"
handler403 = "ipfin.web.views.error_403"
handler404 = "ipfin.web.views.error_404"
handler500 = "ipfin.web.views.error_500"
