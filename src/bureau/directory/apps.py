from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "bureau.directory"
    label = "directory"
