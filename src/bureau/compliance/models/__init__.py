"""The compliance program's records, one module per obligation (imported here for Django)."""
