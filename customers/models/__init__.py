from .activity import ContactLog, Referral, SatisfactionSurvey, ServiceCase
from .choices import *  # noqa: F403
from .customer import Contact, Customer
from .merge import CustomerMerge
from .sales import Category, Product, Transaction
from .tags import CustomerTag, TagDefinition, TagOption

__all__ = [
    "Category",
    "Contact",
    "ContactLog",
    "Customer",
    "CustomerMerge",
    "CustomerTag",
    "Product",
    "Referral",
    "SatisfactionSurvey",
    "ServiceCase",
    "TagDefinition",
    "TagOption",
    "Transaction",
]
