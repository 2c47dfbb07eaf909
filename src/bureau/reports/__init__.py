"""KPIs and reports: one written definition per KPI, reports across the book with drill-down.

Reports read through the other apps' scoped selectors (practice *and* provider grant) and never
write a PHI row; every report page and export is an audited PHI read.
"""
