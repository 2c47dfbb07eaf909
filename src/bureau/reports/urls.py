from django.urls import URLPattern, URLResolver

app_name = "reports"
# Each report adds its routes here.
urlpatterns: list[URLPattern | URLResolver] = []
