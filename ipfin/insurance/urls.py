from django.urls import path

from ipfin.insurance import views

app_name = "insurance"

urlpatterns = [
    path("", views.policy_list, name="policy_list"),
    path("new/", views.policy_new, name="policy_new"),
    path("<int:policy_id>/", views.policy_detail, name="policy_detail"),
    path("<int:policy_id>/claims/", views.claim_notify, name="claim_notify"),
    path("<int:policy_id>/accept/", views.policy_accept, name="policy_accept"),
    path(
        "<int:policy_id>/refund-received/",
        views.policy_refund_receive,
        name="policy_refund_receive",
    ),
    path("claims/<int:claim_id>/assess/", views.claim_assess, name="claim_assess"),
    path("claims/<int:claim_id>/reject/", views.claim_reject, name="claim_reject"),
    path("claims/<int:claim_id>/pay/", views.claim_pay, name="claim_pay"),
]
