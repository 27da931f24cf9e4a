from django.urls import path

from ipfin.guarantees import views

app_name = "guarantees"

urlpatterns = [
    path("", views.guarantee_list, name="guarantee_list"),
    path("<int:guarantee_id>/", views.guarantee_detail, name="guarantee_detail"),
    path("<int:guarantee_id>/issue/", views.guarantee_issue, name="guarantee_issue"),
    path("<int:guarantee_id>/decline/", views.guarantee_decline, name="guarantee_decline"),
    path("<int:guarantee_id>/call/", views.guarantee_call, name="guarantee_call"),
    path("<int:guarantee_id>/pay/", views.guarantee_pay, name="guarantee_pay"),
    path(
        "<int:guarantee_id>/refund-received/",
        views.guarantee_refund_receive,
        name="guarantee_refund_receive",
    ),
]
