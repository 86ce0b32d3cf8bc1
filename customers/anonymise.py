""" "Anonymise customer": erase a customer's personal data for good (a personal-information
deletion request), keeping orders, amounts, classes and ownership so every total still adds up.

Two kinds of places hold the data. Records *of* the customer (its row, contacts, contact logs,
service cases, surveys, referrals, merges, and what other apps registered through
customers.extensions.register_anonymiser) are found by their foreign key and blanked. Records
that only *mention* it — the filter of an export ("q=张三"), the file name of an import, the
admin log's titles and change messages, a referral typed by name, an upload waiting for its
import (and its cached report) — are found by searching for the old values and have exactly
those values replaced; the rest of the row (who, when, how many) is the audit and stays.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.models import User

from .importing.readers import SNIFF_BYTES, detect_encoding
from .importing.uploads import SESSION_KEY, pending_uploads
from .models import (
    Contact,
    ContactLog,
    Customer,
    CustomerAnonymisation,
    CustomerMerge,
    ExportLog,
    ImportLog,
    Referral,
    SatisfactionSurvey,
    ServiceCase,
)

ERASED = "—"
# Values shorter than this are not searched for outside the customer's own records: a contact
# called "Li" or a phone "120" would match unrelated text everywhere. Chinese names are short
# but specific, so two characters are enough for text that is not plain ASCII.
MIN_ASCII_CHARS = 4
MIN_OTHER_CHARS = 2
# Uploads are read in pieces of this size (an upload may be 200 MB).
READ_CHARS = 1024 * 1024
# Rows per UPDATE when replacing mentions.
BATCH = 500


def anonymised_name(customer_id: int) -> str:
    """The name an anonymised customer keeps, in the installation's language."""
    with _default_language():
        return _("Anonymised customer #%(id)s") % {"id": customer_id}


# Long on purpose: one transaction that erases every field and trace of a customer in order;
# split, a step could be left out of the transaction.
@transaction.atomic
def customer_anonymise(
    *, actor: User | None, customer: Customer, reason: str
) -> CustomerAnonymisation:
    """Erase a customer's personal data for good (a personal-information deletion request).

    The name becomes "Anonymised customer #id"; phone, e-mail, address, website, registration
    number, notes and the demographic fields are blanked; the contacts lose name and details;
    free text written about the customer (contact log summaries, service cases, survey
    comments, referral names, merge records, and what other apps registered) is erased; the
    old values are replaced wherever else they were stored (module docstring). Transactions,
    amounts, dates, classes and tasks stay. Nothing is kept that could undo it: the ownership
    history holds no personal data. One audit record says who, when and why."""
    from .extensions import anonymisers

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why (the request or ticket) before anonymising."))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if CustomerAnonymisation.objects.filter(customer=customer).exists():
        raise ValidationError(_("This customer is already anonymised."))
    contacts = Contact.objects.filter(customer=customer)
    old_contacts = list(contacts.values("pk", "name", "phone", "email", "wechat"))
    erase = Eraser(
        [
            customer.name,
            customer.phone,
            customer.email,
            customer.tax_number,
            customer.address,
            *(c[f] for c in old_contacts for f in ("name", "phone", "email", "wechat")),
        ]
    )
    label = anonymised_name(customer.pk)
    erased: dict[str, int] = {}
    Customer.objects.filter(pk=customer.pk).update(
        name=label,
        phone="",
        email="",
        address="",
        website="",
        tax_number="",
        notes="",
        age_band="",
        gender="",
        income_band="",
        education="",
        marital_status="",
        updated_at=timezone.now(),
    )
    with _default_language():
        contact_label = _("Anonymised contact")
    erased["contacts"] = contacts.update(
        name=contact_label, title="", phone="", email="", wechat="", notes=""
    )
    erased["contact_logs"] = ContactLog.objects.filter(customer=customer).update(summary=ERASED)
    case_ids = list(ServiceCase.objects.filter(customer=customer).values_list("pk", flat=True))
    erased["service_cases"] = ServiceCase.objects.filter(pk__in=case_ids).update(
        subject=ERASED, description=""
    )
    erased["surveys"] = SatisfactionSurvey.objects.filter(customer=customer).update(comment="")
    erased["referrals"] = (
        Referral.objects.filter(referrer=customer)
        .exclude(referred_name="")
        .update(referred_name=ERASED)
        # A referral of this customer may carry its name as typed before it was one.
        + Referral.objects.filter(referred=customer)
        .exclude(referred_name="")
        .update(referred_name="")
    )
    erased["merges"] = CustomerMerge.objects.filter(survivor=customer).update(
        merged_name=ERASED, merged_profile={}
    )
    # The admin's action log shows object titles (the old name, a case's subject).
    _rename_logged(Customer, [customer.pk], f"{label} ({customer.external_code})")
    _rename_logged(Contact, [c["pk"] for c in old_contacts], contact_label)
    _rename_logged(ServiceCase, case_ids, ERASED)
    for name, scrub in anonymisers().items():
        erased[name] = scrub(customer.pk)
    # Where the old values are only mentioned: replace them, keep the row.
    erased["export_logs"] = erase.export_logs()
    erased["import_logs"] = erase.rows(ImportLog.objects.all(), ["file_name"])
    erased["admin_log"] = erase.admin_log()
    erased["referrals"] += erase.rows(Referral.objects.all(), ["referred_name"])
    erase.rows(Customer.history.filter(id=customer.pk), ["history_change_reason"])
    erased["pending_uploads"] = erase.pending_uploads()
    return CustomerAnonymisation.objects.create(
        customer=customer,
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        reason=erase.text(reason),  # the reason may quote the request, name and all
        erased=erased,
    )


def _rename_logged(model: type[Model], ids: Iterable[int], title: str) -> None:
    object_ids = [str(pk) for pk in ids]  # LogEntry.object_id is text
    if object_ids:
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=object_ids
        ).update(object_repr=title)


def _long_enough(value: str) -> bool:
    return len(value) >= (MIN_ASCII_CHARS if value.isascii() else MIN_OTHER_CHARS)


class Eraser:
    """Finds the old values (`needles`) in text and replaces them with ERASED, ignoring
    case (an e-mail address is typed in any case)."""

    def __init__(self, values: Iterable[str | None]):
        needles = {v.strip() for v in values if v and v.strip()}
        self.needles = sorted((n for n in needles if _long_enough(n)), key=len, reverse=True)
        self.pattern = (
            re.compile("|".join(re.escape(n) for n in self.needles), re.IGNORECASE)
            if self.needles
            else None
        )

    def text(self, value: str) -> str:
        return self.pattern.sub(ERASED, value) if self.pattern and value else value

    def _candidates(self, qs: QuerySet, field: str, forms) -> QuerySet:
        """Rows of `qs` whose `field` contains a needle in one of its stored `forms`."""
        match = Q()
        for needle in self.needles:
            for form in {f(needle) for f in forms}:
                match |= Q(**{f"{field}__icontains": form})
        return qs.filter(match)

    def _save(self, model: type[Model], objs: list, fields: list[str]) -> int:
        """One UPDATE per batch, not per row."""
        if objs:
            model._default_manager.bulk_update(objs, fields, batch_size=BATCH)
        return len(objs)

    def rows(self, qs: QuerySet, fields: list[str]) -> int:
        """Replace the needles in plain-text columns; returns the rows changed."""
        if not self.needles:
            return 0
        match = Q()
        for field in fields:
            match |= Q(pk__in=self._candidates(qs, field, [str]).values("pk"))
        changed = []
        for obj in qs.filter(match).only("pk", *fields):
            new = {f: self.text(getattr(obj, f)) for f in fields if getattr(obj, f)}
            if any(getattr(obj, f) != v for f, v in new.items()):
                for f, v in new.items():
                    setattr(obj, f, v)
                changed.append(obj)
        return self._save(qs.model, changed, fields)

    def export_logs(self) -> int:
        """An export's filter is a query string (q=%E5%BC%A0…): decoded, scrubbed value by
        value and encoded again; the export command's log is plain text."""
        if not self.needles:
            return 0
        changed = []
        logs = self._candidates(ExportLog.objects.all(), "query", [str, quote_plus])
        for log in logs.only("pk", "query"):
            new = self._query(log.query)
            if new != log.query:
                log.query = new
                changed.append(log)
        return self._save(ExportLog, changed, ["query"])

    def _query(self, query: str) -> str:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            return self.text(query)
        return urlencode([(self.text(k), self.text(v)) for k, v in pairs])

    def admin_log(self) -> int:
        """Titles and change messages of the admin log (a change message is JSON with
        non-ASCII characters escaped; a contact added inline is named in it)."""
        if not self.needles:
            return 0
        entries = LogEntry.objects.all()
        escaped = [str, lambda n: json.dumps(n)[1:-1]]
        found = self._candidates(entries, "object_repr", [str]) | self._candidates(
            entries, "change_message", escaped
        )
        changed = []
        for entry in found.only("pk", "object_repr", "change_message"):
            title = self.text(entry.object_repr)
            message = self._json_text(entry.change_message)
            if (title, message) != (entry.object_repr, entry.change_message):
                entry.object_repr, entry.change_message = title, message
                changed.append(entry)
        return self._save(LogEntry, changed, ["object_repr", "change_message"])

    def _json_text(self, value: str) -> str:
        try:
            data = json.loads(value)
        except ValueError:
            return self.text(value)
        scrubbed = self._deep(data)
        return value if scrubbed == data else json.dumps(scrubbed)

    def _deep(self, data: Any) -> Any:
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, list):
            return [self._deep(v) for v in data]
        if isinstance(data, dict):
            return {k: self._deep(v) for k, v in data.items()}
        return data

    # ------------------------------------------------------------------ uploads

    def pending_uploads(self) -> int:
        """Uploads waiting between the import's dry run and the import itself that hold one
        of the values are deleted with their skipped rows, their cached reports and their
        entries in the uploader's session (the uploader uploads again if still needed).
        Files are removed at once, not on commit: were the anonymisation rolled back, a
        re-upload is the whole cost; the other order could leave the data on disk."""
        if not self.needles:
            return 0
        held = [folder for folder in pending_uploads() if self._folder_mentions(folder)]
        for folder in held:
            shutil.rmtree(folder, ignore_errors=True)
        tokens = {folder.name for folder in held}
        if tokens:
            from .tasks import import_report_key

            cache.delete_many([import_report_key(t, s) for t in tokens for s in ("check", "apply")])
            _forget_uploads(tokens)
        return len(held)

    def _folder_mentions(self, folder: Path) -> bool:
        return any(f.is_file() and self._file_mentions(f) for f in folder.iterdir())

    def _file_mentions(self, path: Path) -> bool:
        with path.open("rb") as fh:
            sample = fh.read(SNIFF_BYTES)
        if sample.startswith(b"PK\x03\x04"):
            try:
                with zipfile.ZipFile(path) as xlsx:
                    return any(
                        self._stream_mentions(
                            io.TextIOWrapper(xlsx.open(member), "utf-8", errors="replace"),
                            xml=True,
                        )
                        for member in xlsx.namelist()
                        if member.endswith(".xml")
                    )
            except (zipfile.BadZipFile, OSError):
                pass  # not a readable workbook: look at its bytes as text
        encoding = detect_encoding(sample)
        with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
            return self._stream_mentions(fh)

    def _stream_mentions(self, fh, *, xml: bool = False) -> bool:
        needles = self.needles + ([escape(n, quote=False) for n in self.needles] if xml else [])
        pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
        overlap = max(len(n) for n in needles) - 1
        tail = ""
        with fh:
            while piece := fh.read(READ_CHARS):
                text = tail + piece
                if pattern.search(text):
                    return True
                tail = text[-overlap:] if overlap else ""
        return False


def _forget_uploads(tokens: set[str]) -> None:
    """Drop deleted uploads from the sessions that name them (their file names)."""
    from importlib import import_module

    from django.contrib.sessions.models import Session

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for row in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = row.get_decoded()
        uploads = data.get(SESSION_KEY) or {}
        if tokens & set(uploads):
            session = store(session_key=row.session_key)
            session[SESSION_KEY] = {k: v for k, v in uploads.items() if k not in tokens}
            session.save()


def _default_language():
    return translation.override(settings.LANGUAGE_CODE)
