from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "bureau.patients"
    label = "patients"
