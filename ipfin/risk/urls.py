from django.urls import path

from ipfin.risk import views

app_name = "risk"

urlpatterns = [
    path("", views.risk_dashboard, name="dashboard"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("scan/", views.risk_scan, name="scan"),
]
