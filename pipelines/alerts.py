"""Failure alerts: a failed run or a blocked publish posts one message to an incoming webhook.

Set WELLBEING_ALERT_WEBHOOK to a Microsoft Teams or Slack incoming-webhook URL. Both accept a JSON body with
a `text` field (Markdown-ish); nothing else is sent: no data values, only step, check and message.
"""
from __future__ import annotations

import json
import urllib.request

from .outcomes import RunOutcome, grouped_failures

WEBHOOK_ENV = "WELLBEING_ALERT_WEBHOOK"
TIMEOUT_SECONDS = 10
MAX_ITEMS = 10  # keep a message readable in a chat window


def alert_text(outcome: RunOutcome, home_root: str) -> str:
    """What went wrong, in a few lines: which run, which steps failed, which checks blocked the publish."""
    lines = [f"wellbeing: run {outcome.run_id[:8]} on {home_root} "
             f"({outcome.started_by}) did not publish"]
    for steps, message in grouped_failures(outcome.failed_steps)[:MAX_ITEMS]:
        lines.append(f"- step failed: {', '.join(steps)} — {message}")
    for check in outcome.failed_checks[:MAX_ITEMS]:
        lines.append(f"- check failed: {check.check} on {check.asset} — {check.detail}")
    more = len(outcome.failed_steps) + len(outcome.failed_checks) - 2 * MAX_ITEMS
    if more > 0:
        lines.append(f"- and {more} more (see `wellbeing status`)")
    return "\n".join(lines)


def post_alert(url: str, text: str) -> None:
    """POST {"text": ...}; raises OSError when the webhook cannot be reached or answers with an error."""
    request = urllib.request.Request(url, data=json.dumps({"text": text}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()
