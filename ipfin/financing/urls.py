"""URLs of the financing pages, mounted at /financing/ (config/urls.py)."""

from django.urls import path

from ipfin.financing import views

app_name = "financing"

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/compare/", views.product_compare, name="product_compare"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:product_id>/", views.product_detail, name="product_detail"),
    path("products/<int:product_id>/withdraw/", views.product_withdraw, name="product_withdraw"),
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/new/", views.policy_new, name="policy_new"),
    path("demands/", views.demand_list, name="demand_list"),
    path("demands/new/", views.demand_new, name="demand_new"),
    path("demands/<int:demand_id>/", views.demand_detail, name="demand_detail"),
    path("demands/<int:demand_id>/push/", views.demand_push, name="demand_push"),
    path("demands/<int:demand_id>/withdraw/", views.demand_withdraw, name="demand_withdraw"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/<int:row_id>/respond/", views.ledger_respond, name="ledger_respond"),
]
