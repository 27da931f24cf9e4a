from django.urls import path

from ipfin.valuation import views

app_name = "valuation"

# The calculator's right number comes last (<path:number> would swallow any suffix), so the
# calculator answers its own HTMX preview on the same URL.
urlpatterns = [
    path("", views.valuation_list, name="valuation_list"),
    path("<int:valuation_id>/", views.valuation_detail, name="valuation_detail"),
    path("<int:valuation_id>/issue/", views.valuation_issue, name="valuation_issue"),
    path("<int:valuation_id>/recheck/", views.valuation_recheck, name="valuation_recheck"),
    path("<int:valuation_id>/report.pdf", views.valuation_report_pdf, name="valuation_report_pdf"),
    path("credit-imports/", views.credit_imports, name="credit_imports"),
    path("agency/seal/", views.agency_seal, name="agency_seal"),
    path("agency/seal/image/", views.agency_seal_image, name="agency_seal_image"),
    path("right/<path:number>/", views.valuation_calculator, name="valuation_calculator"),
]
