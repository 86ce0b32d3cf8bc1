"""What a delivery's body looks like for each target: our signed JSON, or the message JSON
of a WeChat Work (企业微信) or DingTalk (钉钉) group robot, so a team's group chat reads e.g.
"今天 3 位核心/VIP客户 变为 休眠" without anyone writing code."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from ..models import EventKind, TargetFormat

# Chat messages are in the installation's language (zh-hans by default).
MAX_LINES = 12


def _lines(event: str, data: dict[str, Any]) -> tuple[str, list[str]]:
    if event == EventKind.CLASS_CHANGED:
        title = _("Class changes: %(dimension)s (run as of %(as_of)s)") % {
            "dimension": data["dimension_label"],
            "as_of": data["run"]["as_of"],
        }
        lines = []
        for move in data["moves"][:MAX_LINES]:
            text = _("%(n)s customers: %(from)s → %(to)s") % {
                "n": move["customers"],
                "from": move["from_label"] or _("new"),
                "to": move["to_label"],
            }
            if move.get("core"):
                text += " " + _("(%(n)s of them core/VIP)") % {"n": move["core"]}
            lines.append(text)
        headline = [
            _("%(n)s core/VIP customers turned %(to)s") % {"n": m["core"], "to": m["to_label"]}
            for m in data["moves"]
            if m.get("core") and m["to"] in ("dormant", "churned")
        ]
        return title, headline + lines
    if event == EventKind.TASK_CREATED:
        title = _("%(n)s new tasks") % {"n": data["count"]}
        lines = [
            _("%(rep)s: %(n)s tasks") % {"rep": r["username"] or "—", "n": r["count"]}
            for r in data["by_owner"][:MAX_LINES]
        ]
        return title, lines
    if event == EventKind.TASK_OVERDUE:
        title = _("%(n)s tasks overdue since %(day)s") % {"n": data["count"], "day": data["day"]}
        lines = [
            _("%(rep)s: %(n)s tasks") % {"rep": r["username"] or "—", "n": r["count"]}
            for r in data["by_owner"][:MAX_LINES]
        ]
        return title, lines
    if event == EventKind.CUSTOMER_CLAIMED:
        title = _("%(n)s customers claimed from the pool") % {"n": data["count"]}
        lines = [
            _("%(rep)s claimed %(customer)s") % {"rep": c["username"] or "—", "customer": c["code"]}
            for c in data["claims"][:MAX_LINES]
        ]
        return title, lines
    return event, []


def render_body(fmt: str, event: str, envelope: dict[str, Any]) -> dict[str, Any]:
    """The JSON body sent to the target."""
    if fmt == TargetFormat.JSON:
        return envelope
    from django.conf import settings

    with translation.override(settings.LANGUAGE_CODE):
        title, lines = _lines(event, envelope["data"])
    if fmt == TargetFormat.WECOM:
        content = "\n".join([f"**{title}**", *[f"> {line}" for line in lines]])
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if fmt == TargetFormat.DINGTALK:
        text = "\n\n".join([f"#### {title}", *[f"- {line}" for line in lines]])
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    raise ValueError(f"unknown format {fmt!r}")
