from django.urls import URLPattern, URLResolver, path

from bureau.reports import (
    activity_views,
    aging_views,
    denial_views,
    index_views,
    kpi_views,
    mix_views,
    monthly_views,
    payer_views,
    posting_views,
    productivity_views,
    sla_views,
    underpayment_views,
    writeoff_views,
)

app_name = "reports"
# Each report adds its routes here.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", index_views.reports_index_view, name="index"),
    path("definitions/", kpi_views.definitions_view, name="definitions"),
    path("kpis/", kpi_views.dashboard_view, name="kpis"),
    path("monthly/", monthly_views.monthly_list_view, name="monthly_list"),
    path("monthly/<uuid:public_id>/", monthly_views.monthly_preview_view, name="monthly_preview"),
    path("monthly/<uuid:public_id>/pdf/", monthly_views.monthly_pdf_view, name="monthly_pdf"),
    path("aging/", aging_views.aging_view, name="aging"),
    path("aging/rows/", aging_views.aging_rows_view, name="aging_rows"),
    path("aging/export.csv", aging_views.aging_csv_view, name="aging_csv"),
    path("aging/export.pdf", aging_views.aging_pdf_view, name="aging_pdf"),
    path("aging/claims.csv", aging_views.aging_claims_csv_view, name="aging_claims_csv"),
    path("aging/claims.pdf", aging_views.aging_claims_pdf_view, name="aging_claims_pdf"),
    path("denials/", denial_views.denials_view, name="denials"),
    path("denials/export.csv", denial_views.denials_csv_view, name="denials_csv"),
    path("denials/export.pdf", denial_views.denials_pdf_view, name="denials_pdf"),
    path("payers/", payer_views.payers_view, name="payers"),
    path("payers/export.csv", payer_views.payers_csv_view, name="payers_csv"),
    path("payers/export.pdf", payer_views.payers_pdf_view, name="payers_pdf"),
    path("productivity/", productivity_views.productivity_view, name="productivity"),
    path(
        "productivity/export.csv", productivity_views.productivity_csv_view, name="productivity_csv"
    ),
    path(
        "productivity/export.pdf", productivity_views.productivity_pdf_view, name="productivity_pdf"
    ),
    path("sla/", sla_views.sla_view, name="sla"),
    path("sla/export.csv", sla_views.sla_csv_view, name="sla_csv"),
    path("sla/export.pdf", sla_views.sla_pdf_view, name="sla_pdf"),
    path("activity/", activity_views.activity_view, name="activity"),
    path("activity/export.csv", activity_views.activity_csv_view, name="activity_csv"),
    path("activity/export.pdf", activity_views.activity_pdf_view, name="activity_pdf"),
]
urlpatterns += [
    path("mix/", mix_views.mix_view, name="mix"),
    path("mix/export.csv", mix_views.mix_csv_view, name="mix_csv"),
    path("mix/export.pdf", mix_views.mix_pdf_view, name="mix_pdf"),
]
urlpatterns += [
    path("posting/", posting_views.posting_view, name="posting"),
    path("posting/export.csv", posting_views.posting_csv_view, name="posting_csv"),
    path("posting/export.pdf", posting_views.posting_pdf_view, name="posting_pdf"),
]
urlpatterns += [
    path("writeoffs/", writeoff_views.writeoffs_view, name="writeoffs"),
    path("writeoffs/export.csv", writeoff_views.writeoffs_csv_view, name="writeoffs_csv"),
    path("writeoffs/export.pdf", writeoff_views.writeoffs_pdf_view, name="writeoffs_pdf"),
]
urlpatterns += [
    path("underpayments/", underpayment_views.underpayments_view, name="underpayments"),
    path(
        "underpayments/export.csv",
        underpayment_views.underpayments_csv_view,
        name="underpayments_csv",
    ),
    path(
        "underpayments/export.pdf",
        underpayment_views.underpayments_pdf_view,
        name="underpayments_pdf",
    ),
    path(
        "underpayments/claims.csv",
        underpayment_views.underpayments_claims_csv_view,
        name="underpayments_claims_csv",
    ),
]
