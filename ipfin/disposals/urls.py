from django.urls import path

from ipfin.disposals import views

app_name = "disposals"

urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.disposal_new, name="disposal_new"),
    path("<int:disposal_id>/", views.disposal_detail, name="disposal_detail"),
    path("<int:disposal_id>/bids/", views.bid_place, name="bid_place"),
    path("<int:disposal_id>/backstop/", views.disposal_backstop, name="disposal_backstop"),
    path("<int:disposal_id>/complete/", views.disposal_complete, name="disposal_complete"),
    path("<int:disposal_id>/withdraw/", views.disposal_withdraw, name="disposal_withdraw"),
]
