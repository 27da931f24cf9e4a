from django.urls import path

from ipfin.loans import views

app_name = "loans"

urlpatterns = [
    path("", views.loan_list, name="loan_list"),
    path("new/", views.loan_new, name="loan_new"),
    path(
        "from-demand/<int:demand_id>/",
        views.loan_apply_from_demand,
        name="loan_apply_from_demand",
    ),
    path("calculator/", views.schedule_calculator, name="calculator"),
    path("<int:loan_id>/", views.loan_detail, name="loan_detail"),
    path("<int:loan_id>/approve/", views.loan_approve, name="loan_approve"),
    path("<int:loan_id>/decline/", views.loan_decline, name="loan_decline"),
    path("<int:loan_id>/disburse/", views.loan_disburse, name="loan_disburse"),
    path("<int:loan_id>/repayments/", views.loan_repay, name="loan_repay"),
    path("<int:loan_id>/close/", views.loan_close, name="loan_close"),
    path("<int:loan_id>/classification/", views.loan_classify_manual, name="loan_classify"),
    path("<int:loan_id>/write-off/", views.loan_write_off, name="loan_write_off"),
    path("subsidies/", views.subsidy_claims, name="subsidy_claims"),
    path("subsidies/<int:claim_id>/review/", views.subsidy_review, name="subsidy_review"),
    path("subsidies/allocate/", views.subsidy_allocate, name="subsidy_allocate"),
    path(
        "subsidies/allocations/<int:run_id>/confirm/",
        views.subsidy_allocation_confirm,
        name="subsidy_allocation_confirm",
    ),
    path(
        "subsidies/allocations/<int:run_id>/discard/",
        views.subsidy_allocation_discard,
        name="subsidy_allocation_discard",
    ),
]
