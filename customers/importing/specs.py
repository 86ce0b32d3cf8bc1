"""What each import kind accepts: columns (English names as in exports, plus Chinese and
label aliases), which are required, how each cell is parsed, and cross-column checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import (
    AgeBand,
    CompanySize,
    Contact,
    ContactChannel,
    ContactLog,
    ContactOutcome,
    Customer,
    CustomerKind,
    DecisionRole,
    Direction,
    Education,
    Gender,
    IncomeBand,
    Industry,
    IndustryOutlook,
    MaritalStatus,
    Market,
    PaymentMethod,
    Region,
    SourceChannel,
    Transaction,
    TransactionStatus,
)
from . import parsers as p

# Lookups resolved against small tables (users, teams, categories, products) loaded once.
LOOKUP_USER = "user"
LOOKUP_TEAM = "team"
LOOKUP_CATEGORY = "category"
LOOKUP_PRODUCT = "product"


@dataclass(frozen=True)
class Column:
    name: str  # the canonical English header (the same name exports use)
    field: str | None  # model attribute it fills; None for customer_code
    parse: Callable[[Any], Any] = p.text
    aliases: tuple[str, ...] = ()
    required: bool = False
    lookup: str | None = None


@dataclass(frozen=True)
class ImportKind:
    name: str
    label: Any
    model: type[models.Model]
    columns: tuple[Column, ...]
    # Fields that identify a row without a code (re-import idempotency for code-less files).
    identity: tuple[str, ...]
    has_customer: bool = True
    checks: tuple[Callable[[dict], list[tuple[str, str]]], ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _text(n: int):
    return partial(p.text, max_length=n)


def _personal(n: int):
    return partial(p.personal_text, max_length=n)


def _choice(choices):
    return partial(p.choice, choices=choices)


CODE = Column("code", "external_code", _text(64), ("编号", "编码", "代码"))
CUSTOMER_CODE = Column(
    "customer_code",
    None,
    _text(64),
    ("customer code", "客户编号", "客户编码", "客户代码", "客户号"),
    required=True,
)


def _due_after_order(row: dict) -> list[tuple[str, str]]:
    problems = []
    d = row.get("date")
    if d and row.get("due_date") and row["due_date"] < d:
        problems.append(("due_date", _("payment due date is before the order date")))
    if d and row.get("paid_date") and row["paid_date"] < d:
        problems.append(("paid_date", _("paid date is before the order date")))
    return problems


CUSTOMERS = ImportKind(
    name="customers",
    label=gettext_lazy("Customers"),
    model=Customer,
    has_customer=False,
    identity=(),
    columns=(
        Column(
            "code",
            "external_code",
            _text(64),
            ("customer code", "客户编号", "客户编码", "客户代码", "编号", "编码"),
            required=True,
        ),
        Column(
            "name", "name", _text(200), ("客户名称", "名称", "客户名", "公司名称", "姓名"), True
        ),
        Column("kind", "kind", _choice(CustomerKind), ("type", "类型", "客户类型")),
        Column("industry", "industry", _choice(Industry), ("行业",)),
        Column("size", "size", _choice(CompanySize), ("规模", "企业规模")),
        Column("region", "region", _choice(Region), ("区域", "地区", "大区")),
        Column("city", "city", _text(60), ("城市",)),
        Column("address", "address", _text(255), ("地址",)),
        Column("market", "market", _choice(Market), ("国内/国际", "市场")),
        Column("source_channel", "source_channel", _choice(SourceChannel), ("来源", "来源渠道")),
        Column("owner", "owner_id", _text(150), ("负责人", "销售代表", "销售"), lookup=LOOKUP_USER),
        Column("team", "team_id", _text(100), ("团队", "销售团队"), lookup=LOOKUP_TEAM),
        Column("phone", "phone", _personal(40), ("电话", "手机", "联系电话")),
        Column("email", "email", _personal(254), ("邮箱", "电子邮件", "e-mail")),
        Column("website", "website", _text(200), ("网站", "网址")),
        Column(
            "tax_number",
            "tax_number",
            _text(40),
            ("税号", "统一社会信用代码", "注册号", "tax / registration number"),
        ),
        Column("annual_budget", "annual_budget", p.decimal, ("年度采购预算", "预算")),
        Column("annual_revenue", "annual_revenue", p.decimal, ("年营业额", "年收入", "营业额")),
        Column("employees", "employees", p.integer, ("员工数", "员工人数")),
        Column("industry_outlook", "industry_outlook", _choice(IndustryOutlook), ("行业前景",)),
        Column(
            "growth_rate",
            "growth_rate",
            partial(p.decimal, allow_negative=True, max_digits=6),
            ("增长率", "增长率(%)"),
        ),
        Column("age_band", "age_band", _choice(AgeBand), ("年龄段",)),
        Column("gender", "gender", _choice(Gender), ("性别",)),
        Column("income_band", "income_band", _choice(IncomeBand), ("收入水平",)),
        Column("education", "education", _choice(Education), ("学历", "教育程度")),
        Column("marital_status", "marital_status", _choice(MaritalStatus), ("婚姻状况",)),
        Column("acquisition_cost", "acquisition_cost", p.decimal, ("获客成本",)),
        Column("interest_since", "interest_since", p.date, ("意向日期",)),
        Column("notes", "notes", _text(10_000), ("备注",)),
    ),
)

CONTACTS = ImportKind(
    name="contacts",
    label=gettext_lazy("Contacts"),
    model=Contact,
    identity=("customer_code", "name"),
    columns=(
        CUSTOMER_CODE,
        Column("code", "external_code", _text(64), ("contact code", "联系人编号", "编号")),
        Column("name", "name", _text(120), ("联系人", "姓名", "联系人姓名"), required=True),
        Column("title", "title", _text(120), ("职务", "职位", "job title")),
        Column("role", "role", _choice(DecisionRole), ("角色", "决策角色", "decision-chain role")),
        Column("is_champion", "is_champion", p.boolean, ("内部支持者", "champion")),
        Column("is_primary", "is_primary", p.boolean, ("主要联系人", "primary")),
        Column("phone", "phone", _personal(40), ("电话", "手机")),
        Column("email", "email", _personal(254), ("邮箱", "电子邮件", "e-mail")),
        Column("wechat", "wechat", _text(60), ("微信", "微信号")),
        Column("notes", "notes", _text(10_000), ("备注",)),
    ),
)

TRANSACTIONS = ImportKind(
    name="transactions",
    label=gettext_lazy("Transactions"),
    model=Transaction,
    identity=("customer_code", "date", "amount", "cost", "quantity", "category_id", "product_id"),
    checks=(_due_after_order,),
    columns=(
        CUSTOMER_CODE,
        Column("code", "external_code", _text(64), ("order code", "订单号", "订单编号", "编号")),
        Column("date", "date", p.date, ("order date", "日期", "订单日期", "下单日期"), True),
        Column("amount", "amount", p.decimal, ("金额", "订单金额", "销售额"), required=True),
        Column("cost", "cost", p.decimal, ("成本",)),
        Column("quantity", "quantity", partial(p.integer, minimum=1), ("数量",)),
        Column(
            "category",
            "category_id",
            _text(40),
            ("品类", "类别", "产品类别"),
            lookup=LOOKUP_CATEGORY,
        ),
        Column(
            "product", "product_id", _text(40), ("产品", "产品编号", "sku"), lookup=LOOKUP_PRODUCT
        ),
        Column(
            "payment_method", "payment_method", _choice(PaymentMethod), ("付款方式", "支付方式")
        ),
        Column("status", "status", _choice(TransactionStatus), ("状态", "订单状态")),
        Column("due_date", "due_date", p.date, ("payment due", "应付日期", "付款期限", "到期日")),
        Column("paid_date", "paid_date", p.date, ("paid on", "付款日期", "实付日期")),
        Column("rep", "rep_id", _text(150), ("销售代表", "销售"), lookup=LOOKUP_USER),
    ),
)

CONTACT_LOGS = ImportKind(
    name="contact_logs",
    label=gettext_lazy("Contact logs"),
    model=ContactLog,
    identity=("customer_code", "occurred_at", "channel", "summary"),
    columns=(
        CUSTOMER_CODE,
        Column("code", "external_code", _text(64), ("log code", "记录编号", "编号")),
        Column(
            "occurred_at",
            "occurred_at",
            p.datetime,
            ("date", "when", "日期", "时间", "沟通时间"),
            True,
        ),
        Column("channel", "channel", _choice(ContactChannel), ("渠道", "方式", "沟通方式")),
        Column("direction", "direction", _choice(Direction), ("方向",)),
        Column("summary", "summary", _text(10_000), ("内容", "摘要", "沟通内容"), required=True),
        Column("outcome", "outcome", _choice(ContactOutcome), ("结果",)),
        Column("next_follow_up", "next_follow_up", p.date, ("下次跟进", "下次跟进日期")),
        Column("rep", "rep_id", _text(150), ("销售代表", "销售", "负责人"), lookup=LOOKUP_USER),
    ),
)

KINDS: dict[str, ImportKind] = {
    k.name: k for k in (CUSTOMERS, CONTACTS, TRANSACTIONS, CONTACT_LOGS)
}
