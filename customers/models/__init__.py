from .activity import ContactLog, Referral, SatisfactionSurvey, ServiceCase
from .choices import *  # noqa: F403
from .customer import Contact, Customer
from .sales import Category, Product, Transaction

__all__ = [
    "Category",
    "Contact",
    "ContactLog",
    "Customer",
    "Product",
    "Referral",
    "SatisfactionSurvey",
    "ServiceCase",
    "Transaction",
]
