from django.urls import path

from ipfin.trading import views

app_name = "trading"

urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.listing_new, name="listing_new"),
    path("<int:listing_id>/", views.listing_detail, name="listing_detail"),
    path("<int:listing_id>/interests/", views.interest_express, name="interest_express"),
    path("<int:listing_id>/deal/", views.deal_agree, name="deal_agree"),
    path("<int:listing_id>/withdraw/", views.listing_withdraw, name="listing_withdraw"),
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/<int:deal_id>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:deal_id>/consent/", views.deal_consent, name="deal_consent"),
    path("deals/<int:deal_id>/refuse/", views.deal_refuse, name="deal_refuse"),
    path("deals/<int:deal_id>/record/", views.deal_record, name="deal_record"),
]
