"""`{{ row.public_id|record_url:"claims:detail" }}`: a record's page, for the rows of long lists
(see bureau.web.links)."""

from __future__ import annotations

from django import template

from bureau.web.links import record_url

register = template.Library()
register.filter("record_url", record_url)
