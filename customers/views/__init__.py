from .data import CustomerExportView, ImportStatusView, ImportView, SkippedRowsView
from .tags import CustomerTagsView
from .workspace import (
    ContactEditView,
    ContactLogCreateView,
    CustomerCreateView,
    CustomerDetailView,
    CustomerListView,
    CustomerMergeView,
    CustomerUpdateView,
    TimelineView,
)

__all__ = [
    "ContactEditView",
    "ContactLogCreateView",
    "CustomerCreateView",
    "CustomerDetailView",
    "CustomerExportView",
    "CustomerListView",
    "CustomerMergeView",
    "CustomerTagsView",
    "CustomerUpdateView",
    "ImportStatusView",
    "ImportView",
    "SkippedRowsView",
    "TimelineView",
]
