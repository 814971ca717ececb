"""The service's tables (SQLAlchemy Core).

Three stores that never meet (DESIGN.md, "Two stores that never meet"):

* the **roll** (``member``): personal data, purged after the retention period;
* the **voting slots** (``slot``): one per eligible member, knowing only *that* the member
  voted, by which channel and on which day (no time);
* the **ballot box** (``ballot``): no voter id, no slot id, no timestamp; its primary key
  is random and the SQLite table has no rowid, so stored order is the order of random ids,
  not the order of casting.

One counted ballot per slot is enforced by the database: casting is a conditional
``UPDATE slot SET voted = true WHERE id = ? AND NOT voted`` in the same transaction as the
ballot's insert; a second cast finds no row to update and the transaction rolls back.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData()

organisation = Table(
    "organisation",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
)

admin = Table(
    "admin",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("organisation_id", String(32), ForeignKey("organisation.id"), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(32), nullable=False),
)

# one-time links: the first administrator's, and invitations (stored as SHA-256 only)
invitation = Table(
    "invitation",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("organisation_id", String(32), nullable=True),
    Column("role", String(32), nullable=False),
    Column("used", Boolean, nullable=False, default=False),
)

election = Table(
    "election",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("organisation_id", String(32), ForeignKey("organisation.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("rule_book", Text, nullable=False, default=""),
    Column("notice", Text, nullable=False, default=""),
    Column("opens_at", String(32), nullable=False),  # ISO 8601 with offset
    Column("closes_at", String(32), nullable=False),
    Column("time_zone", String(64), nullable=False, default="UTC"),
    # draft -> open -> closed -> counted (-> purged: personal data gone, results kept)
    Column("state", String(16), nullable=False, default="draft"),
    Column("key", String(64), nullable=False),  # the election key of the codes' HMAC
    Column("eligibility", JSON, nullable=False),
    Column("retention_days", Integer, nullable=False, default=365),
    Column("roll_sha256", String(64), nullable=True),
    Column("roll_certificate", JSON, nullable=True),
    Column("published_at", String(32), nullable=True),
    # the last moment a lost code may be re-issued, by channel (core.reissue_timetable):
    # {"post": {"last": "2026-12-04", "until": "2026-12-05T00:00:00+00:00"}, ...}
    Column("reissue_timetable", JSON, nullable=True),
    # vote weights from the roll's weight column (exact: whole numbers or fractions)
    Column("weighted", Boolean, nullable=False, default=False, server_default=false()),
)

contest = Table(
    "contest",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("election_id", String(32), ForeignKey("election.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("options", JSON, nullable=False),
    Column("seats", Integer, nullable=False),
    # ranked | x (vote for up to max_marks) | approval | yesno
    Column("ballot_type", String(16), nullable=False),
    Column("max_marks", Integer, nullable=True),
    Column("candidates", JSON, nullable=False),  # [{name, statement, attributes}]
    Column("constraints", JSON, nullable=False),  # ["gender=woman:min=4", ...]
    Column("candidate_order", String(16), nullable=False, default="entered"),
    Column("electorate", JSON, nullable=True),  # the ballot style: who receives it
)

member = Table(
    "member",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("election_id", String(32), ForeignKey("election.id"), nullable=False),
    Column("number", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("address", Text, nullable=True),
    Column("joined_on", String(10), nullable=True),
    Column("paid_until", String(10), nullable=True),
    Column("status", String(32), nullable=True),
    Column("section", String(64), nullable=True),
    Column("region", String(64), nullable=True),
    Column("birth_date", String(10), nullable=True),
    Column("weight", String(32), nullable=True),  # exact, "3" or "3/2"; null: 1
    Column("eligible", Boolean, nullable=False),
    Column("excluded_by", JSON, nullable=False),
    UniqueConstraint("election_id", "number"),
)

slot = Table(
    "slot",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("election_id", String(32), ForeignKey("election.id"), nullable=False),
    Column("member_id", String(32), nullable=True),  # null once personal data is purged
    Column("code_hmac", String(64), nullable=False, unique=True),
    Column("issue", Integer, nullable=False, default=1),
    Column("channel", String(8), nullable=False),  # email | post
    Column("contests", JSON, nullable=False),  # the ballot style: contest ids
    Column("voted", Boolean, nullable=False, default=False),
    Column("voted_channel", String(8), nullable=True),
    Column("voted_day", String(10), nullable=True),  # a day, never a time
    Column("weight", String(32), nullable=True),  # the member's vote weight; null: 1
)

# the box: no voter, no slot, no time; the random id is the only key
ballot = Table(
    "ballot",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("contest_id", String(32), nullable=False),
    Column("tracker", String(32), nullable=False),
    Column("content", Text, nullable=False),
    # the paper's weight in a weighted election (null: 1); a weight that only one member
    # holds marks that member's ballot (docs/service.md, "Vote weights")
    Column("weight", String(32), nullable=True),
    sqlite_with_rowid=False,
)

result = Table(
    "result",
    metadata,
    Column("contest_id", String(32), primary_key=True),
    Column("record_json", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("blt", Text, nullable=False),
    Column("csv", Text, nullable=False),
)

job = Table(
    "job",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(128), nullable=False, unique=True),  # idempotency
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("run_after", String(32), nullable=False),
    Column("done", Boolean, nullable=False, default=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organisation_id", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("organisation_id", "seq"),
)

# incidents and extensions for the scrutineer's report
incident = Table(
    "incident",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("election_id", String(32), nullable=False),
    Column("at", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
)

# delivery facts for the report (no code): sent, bounced
delivery = Table(
    "delivery",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("election_id", String(32), nullable=False),
    Column("slot_id", String(32), nullable=False),
    Column("issue", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # code | reminder
    Column("channel", String(8), nullable=False),
    Column("outcome", String(16), nullable=False),  # sent | bounced | printed
    UniqueConstraint("slot_id", "issue", "kind"),
)

# failed code entries, for the rate limits that hold across app processes (security.py):
# the address is kept as a keyed hash, and a row is deleted once its window has passed;
# a right code writes nothing here, so the table says nothing about who voted
code_failure = Table(
    "code_failure",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("election_id", String(32), nullable=False, index=True),
    Column("address", String(64), nullable=False, index=True),
    Column("at", Integer, nullable=False),  # seconds since the epoch
)

# failed sign-ins, for the limits on password guessing shared by every app process (the
# address and the account as HMACs under the service's secret; rows deleted once their
# window has passed)
login_failure = Table(
    "login_failure",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("address", String(64), nullable=False, index=True),
    Column("account", String(64), nullable=False, index=True),
    Column("at", Integer, nullable=False),  # seconds since the epoch
)

# the signed-in admins' sessions: the cookie holds a random token, this table its SHA-256;
# signing out deletes the row, so a copy of the cookie no longer opens anything
admin_session = Table(
    "admin_session",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("admin_id", String(32), ForeignKey("admin.id"), nullable=False, index=True),
    Column("at", Integer, nullable=False),  # seconds since the epoch, when signed in
)
