from django.urls import path

from ipfin.risk import views

app_name = "risk"

urlpatterns = [
    path("", views.risk_dashboard, name="dashboard"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("scan/", views.risk_scan, name="scan"),
    path("claims/", views.claim_list, name="claim_list"),
    path("claims/<int:claim_id>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:claim_id>/approve/", views.claim_approve, name="claim_approve"),
    path("claims/<int:claim_id>/reject/", views.claim_reject, name="claim_reject"),
    path("claims/<int:claim_id>/pay/", views.claim_pay, name="claim_pay"),
    path("claims/<int:claim_id>/settle/", views.claim_settle, name="claim_settle"),
    path(
        "claims/<int:claim_id>/refund-received/",
        views.claim_refund_receive,
        name="claim_refund_receive",
    ),
    path("funds/<int:fund_id>/", views.fund_ledger, name="fund_ledger"),
]
