from django.urls import URLPattern, URLResolver, path

from bureau.reports import kpi_views

app_name = "reports"
# Each report adds its routes here.
urlpatterns: list[URLPattern | URLResolver] = [
    path("definitions/", kpi_views.definitions_view, name="definitions"),
    path("kpis/", kpi_views.dashboard_view, name="kpis"),
]
