from .activity import ContactLog, Referral, SatisfactionSurvey, ServiceCase
from .choices import *  # noqa: F403
from .customer import Contact, Customer
from .merge import CustomerMerge
from .sales import Category, Product, Transaction

__all__ = [
    "Category",
    "Contact",
    "ContactLog",
    "Customer",
    "CustomerMerge",
    "Product",
    "Referral",
    "SatisfactionSurvey",
    "ServiceCase",
    "Transaction",
]
