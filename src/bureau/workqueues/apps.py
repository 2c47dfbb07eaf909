from django.apps import AppConfig


class WorkqueuesConfig(AppConfig):
    name = "bureau.workqueues"
    label = "workqueues"
    verbose_name = "Work queues"
