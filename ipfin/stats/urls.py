from django.urls import path

from ipfin.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.stats_dashboard, name="dashboard"),
    path("report/", views.report_job, name="report_job"),
    path("returns/", views.bank_returns, name="returns"),
    path("returns/submit/", views.bank_return_submit, name="return_submit"),
    path("returns/upload/", views.bank_returns_upload, name="returns_upload"),
]
