"""Choice lists of the customer records. Labels are English msgids translated to zh-Hans in
customers/locale."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    INDIVIDUAL = "individual", _("Individual")


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    RETAIL = "retail", _("Retail & e-commerce")
    TECHNOLOGY = "technology", _("IT & software")
    FINANCE = "finance", _("Finance & insurance")
    HEALTHCARE = "healthcare", _("Healthcare")
    EDUCATION = "education", _("Education")
    CONSTRUCTION = "construction", _("Construction & real estate")
    LOGISTICS = "logistics", _("Logistics")
    ENERGY = "energy", _("Energy & utilities")
    AGRICULTURE = "agriculture", _("Agriculture & food")
    HOSPITALITY = "hospitality", _("Hospitality & tourism")
    CONSUMER = "consumer", _("Consumer (private person)")
    OTHER = "other", _("Other")


class CompanySize(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")


class Region(models.TextChoices):
    EAST = "east", _("East China")
    SOUTH = "south", _("South China")
    NORTH = "north", _("North China")
    CENTRAL = "central", _("Central China")
    SOUTHWEST = "southwest", _("Southwest China")
    NORTHWEST = "northwest", _("Northwest China")
    NORTHEAST = "northeast", _("Northeast China")
    OVERSEAS = "overseas", _("Overseas")


class Market(models.TextChoices):
    DOMESTIC = "domestic", _("Domestic")
    INTERNATIONAL = "international", _("International")


class SourceChannel(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    EXHIBITION = "exhibition", _("Exhibition / conference")
    WEBSITE = "website", _("Website / inbound")
    COLD_CALL = "cold_call", _("Cold call")
    SOCIAL = "social", _("Social media")
    PARTNER = "partner", _("Partner / distributor")
    ADVERTISING = "advertising", _("Advertising")
    OTHER = "other", _("Other")


class IndustryOutlook(models.TextChoices):
    GROWING = "growing", _("Growing")
    STABLE = "stable", _("Stable")
    DECLINING = "declining", _("Declining")


class AgeBand(models.TextChoices):
    UNDER_25 = "lt25", _("Under 25")
    AGE_25_34 = "25_34", _("25–34")
    AGE_35_44 = "35_44", _("35–44")
    AGE_45_54 = "45_54", _("45–54")
    AGE_55_PLUS = "55plus", _("55 and over")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / not stated")


class IncomeBand(models.TextChoices):
    LOW = "low", _("Low")
    MIDDLE = "middle", _("Middle")
    HIGH = "high", _("High")


class Education(models.TextChoices):
    SECONDARY = "secondary", _("Secondary school or below")
    COLLEGE = "college", _("College / bachelor")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("Single")
    MARRIED = "married", _("Married")
    OTHER = "other", _("Other / not stated")


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CREDIT_TERMS = "credit_terms", _("On account (credit terms)")
    ALIPAY = "alipay", _("Alipay")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class TransactionStatus(models.TextChoices):
    OPEN = "open", _("Open (awaiting payment)")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")
    CANCELLED = "cancelled", _("Cancelled")


class ContactChannel(models.TextChoices):
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    MEETING = "meeting", _("Meeting")
    MESSAGE = "message", _("Text message")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    INBOUND = "inbound", _("Inbound")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached, talked")
    NO_ANSWER = "no_answer", _("No answer")
    INTERESTED = "interested", _("Interested")
    NOT_INTERESTED = "not_interested", _("Not interested")
    FOLLOW_UP = "follow_up", _("Follow-up agreed")
    ORDER = "order", _("Order placed")
    COMPLAINT = "complaint", _("Raised a complaint")


class ServiceCaseKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    RETURN = "return", _("Return")
    REPAIR = "repair", _("Repair")


class ServiceCaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
