"""The scrutineer's report as PDF (reportlab), from the same dictionary as the JSON."""

from __future__ import annotations

import io
import json
from typing import Any


def pdf(report: dict[str, Any]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, Preformatted, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    e = report["election"]
    story: list[Any] = [
        Paragraph(f"Scrutineer's report: {e['title']}", styles["Title"]),
        Paragraph(
            f"Rules: {e['rule_book'] or '-'}. Voting {e['opens_at']} to {e['closes_at']}. "
            f"State: {e['state']}.",
            styles["Normal"],
        ),
        Spacer(1, 12),
    ]

    def section(title: str, value: Any) -> None:
        story.append(Paragraph(title, styles["Heading2"]))
        story.append(Preformatted(json.dumps(value, indent=2, default=str), styles["Code"]))

    section("Voting papers distributed, by channel", report["voting_papers_distributed_by_channel"])
    section("Voting papers returned, by channel", report["voting_papers_returned_by_channel"])
    section(
        "Ballots in the box / slots marked voted",
        {"ballots": report["papers_in_ballot_box"], "slots": report["slots_marked_voted"]},
    )
    section(
        "Codes re-issued",
        {"total": report["reissued_codes"], "by_channel": report["reissued_codes_by_channel"]},
    )
    section(
        "Re-issue timetable, by channel (and requests refused after it)",
        {
            "timetable": report["reissue_timetable"],
            "refused_by_channel": report["reissues_refused_after_timetable_by_channel"],
        },
    )
    section("Deliveries", report["deliveries"])
    section("Incidents and extensions", report["incidents_and_extensions"])
    section("Roll certificate", report["roll_certificate"])
    section("Audit log head (SHA-256)", report["audit_log_head_sha256"])
    for c in report["contests"]:
        rec = c["record"]
        story.append(
            Paragraph(f"{c['title']} ({c['rule']}, {c['seats']} seats)", styles["Heading2"])
        )
        story.append(Paragraph("Elected: " + ", ".join(rec.get("elected", [])), styles["Normal"]))
        story.append(
            Paragraph(
                f"Papers: {c['papers']}; valid: {c['valid']}; invalid, by reason: "
                + (json.dumps(c["invalid_by_reason"]) if c["invalid_by_reason"] else "none"),
                styles["Normal"],
            )
        )
        for s in rec.get("stages", []):
            votes = ", ".join(f"{k} {v}" for k, v in (s.get("totals") or {}).items())
            story.append(
                Paragraph(
                    f"Stage {s.get('number', '')} ({s.get('action', '')}): {votes}",
                    styles["Normal"],
                )
            )
    story.append(Paragraph("Sign-off", styles["Heading2"]))
    story.append(Paragraph(f"This report's SHA-256: {report['report_sha256']}", styles["Normal"]))
    for s in report["sign_offs"]:
        story.append(
            Paragraph(
                f"Signed off by {s['scrutineer']} at {s['at']}: {s['statement']} "
                f"(report SHA-256 {s['report_sha256']})",
                styles["Normal"],
            )
        )
    if not report["sign_offs"]:
        story.append(Paragraph("Not yet signed off by the scrutineer.", styles["Normal"]))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=f"Scrutineer's report: {e['title']}").build(story)
    return buf.getvalue()
