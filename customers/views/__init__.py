from .data import CustomerExportView, ImportView, SkippedRowsView
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
    "CustomerUpdateView",
    "ImportView",
    "SkippedRowsView",
    "TimelineView",
]
