from django.urls import URLPattern, URLResolver, path

from bureau.reports import aging_views, denial_views, kpi_views, monthly_views, payer_views

app_name = "reports"
# Each report adds its routes here.
urlpatterns: list[URLPattern | URLResolver] = [
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
]
