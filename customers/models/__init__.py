from .activity import ContactLog, Referral, SatisfactionSurvey, ServiceCase
from .audit import AuditSource, CustomerAnonymisation, ExportLog, ImportLog
from .choices import *  # noqa: F403
from .customer import Contact, Customer
from .merge import CustomerMerge
from .sales import Category, Product, Transaction
from .tags import CustomerTag, TagDefinition, TagOption

__all__ = [
    "AuditSource",
    "Category",
    "Contact",
    "ContactLog",
    "Customer",
    "CustomerAnonymisation",
    "CustomerMerge",
    "CustomerTag",
    "ExportLog",
    "ImportLog",
    "Product",
    "Referral",
    "SatisfactionSurvey",
    "ServiceCase",
    "TagDefinition",
    "TagOption",
    "Transaction",
]
