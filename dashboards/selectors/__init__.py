"""Reads of the dashboards: one module per page, each a constant number of queries."""
