"""Target 3 of issue 18, short: mail to a local SMTP sink (aiosmtpd), the server killed
with SIGKILL mid-run and restarted; from what the sink received, no member was ever sent
two different codes, every message carries the code of the member's slot worked out from
the election key (``codes.derive``, as a mail house would), and every member got theirs.
The long run, with its rate, is ``bench/service/mail.py``.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from .conftest import DATABASES, _postgres_database

BENCH = Path(__file__).resolve().parents[2] / "bench" / "service"


@pytest.mark.slow
@pytest.mark.parametrize("db", DATABASES)
def test_sigkill_mid_mail_never_sends_two_codes(tmp_path: Path, db: str) -> None:
    pytest.importorskip("aiosmtpd")
    sys.path.insert(0, str(BENCH))
    try:
        import mail as bench_mail  # bench/service/mail.py
    finally:
        sys.path.remove(str(BENCH))
    database = None if db == "sqlite" else _postgres_database()
    # 300 members, killed after 40% of the messages; the jobs the killed process had
    # claimed are made due at once (as if their lease, core.JOB_LEASE, had run out)
    f = bench_mail.run(
        tmp_path, database, members=300, kill_at=0.4, timeout=120.0, expire_leases=True
    )
    assert f["members_with_email"] == 300
    assert 0 < f["killed_after_messages"] < 300, f  # the kill came mid-run
    assert f["members_with_two_different_codes"] == 0, f
    assert f["messages_with_a_wrong_code"] == 0, f
    assert f["members_never_sent_a_code"] == 0, f
    assert f["members_mailed"] == 300, f


def test_one_smtp_connection_carries_a_batch(tmp_path: Path) -> None:
    """The mail drain's Mailer: one connection for many messages, and a connection the
    server dropped in between is opened again (the message is not lost)."""
    pytest.importorskip("aiosmtpd")
    from email.message import EmailMessage

    from tallyroom.service.mail import Mailer

    sys.path.insert(0, str(BENCH))
    try:
        import mail as bench_mail  # bench/service/mail.py
    finally:
        sys.path.remove(str(BENCH))
    sink = bench_mail.Sink()
    sink.controller.start()
    try:
        mailer = Mailer(("127.0.0.1", sink.port))
        for i in range(5):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "ro@example.org", f"m{i}@example.org", "x"
            msg.set_content(f"Your code:\n\n    CODE-{i}\n")
            if i == 3:
                assert mailer._conn is not None
                mailer._conn.sock.shutdown(socket.SHUT_RDWR)  # it drops between two messages
            assert mailer.send(msg) == "sent"
        mailer.close()
    finally:
        sink.controller.stop()
    assert [(to, code) for to, code, _t in sink.got] == [
        (f"m{i}@example.org", f"CODE-{i}") for i in range(5)
    ]
    assert len(sink.connections) == 2
