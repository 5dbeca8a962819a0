"""A team's PostgreSQL server that enforces Followup's rules itself.

Every Followup user is a PostgreSQL login role of the same name, whose password is their
sign-in password (the server keeps only its SCRAM verifier; no Followup table stores password
material). Logins belong to one group role each, ``followup_worker``, ``followup_lead`` or
``followup_admin`` (``TeamRoles`` names them; a test or a second team on one server may use a
prefix). ``followup_owner`` owns the schema and is used only by ``followup init``, which runs
the migrations and then ``install`` below: grants, row-level security, audit triggers and the
SECURITY DEFINER functions through which alone the rules can be bent:

- ``followup_audit`` and ``followup_audit_private`` record an action that is not a write (and
  the app's own account of writes), stamping ``session_user`` and the server's clock; no role
  but the owner may write the audit tables, and row triggers audit every change to case data;
- ``followup_create_user`` and ``followup_change_user`` (admins only) create and alter login
  roles, only ever as members of one Followup group: never a superuser, never anything else;
- ``followup_sign_in_failed``, ``followup_sign_in_lock`` and ``followup_signed_in`` keep the
  lockout in the database; ``followup_gate``, a login that may only call the first two, lets a
  desktop count a refused password before anyone has signed in;
- ``followup_match_candidates`` and ``followup_intake_facts`` let intake find every earlier
  referral of a person whoever imports the file, returning ids and the fields the match shows;
- ``followup_destroy_person`` (admins only) destroys a person past the retention period and
  writes the destruction log; nothing else deletes people;
- ``followup_retention_review`` gives admins, who see no person or case data, the identifiers
  and dates the retention review needs;
- ``followup_forget_quarantine`` (admins only) removes rejected referrals kept in quarantine
  past the retention period. Quarantined rows are a lead's to read and decide; a worker's
  import may only add them, and an admin reads none of them.

``team_server_script`` renders the SQL a database administrator runs once, as a superuser
(docs/team-server.sql is that script).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import text

from followup.accounts import FIRST_LOCK, LOCK_AFTER_FAILURES, LONGEST_LOCK
from followup.db.engine import Database
from followup.db.models import Base
from followup.errors import FollowupError
from followup.protection.purge import PURGE_DELETES, PURGE_SET_NAMES, PURGE_SETS, on_server
from followup.vocab import Role

__all__ = [
    "APPEND_ONLY",
    "DATABASE",
    "GATE_ROLE",
    "GROUP_DELETES",
    "LEGACY_APP_ROLE",
    "OWNER_ROLE",
    "PERSONAL_TABLES",
    "QUARANTINE_TABLE",
    "SCHEMA",
    "TeamRoles",
    "database_setup_statements",
    "identifier",
    "install",
    "install_statements",
    "is_team_server",
    "server_setup_statements",
    "team_server_script",
]

log = logging.getLogger(__name__)

OWNER_ROLE = "followup_owner"
# The one shared role every desktop used before users had logins; an upgrade takes its rights.
LEGACY_APP_ROLE = "followup_app"
GATE_ROLE = "followup_gate"
DATABASE = "followup"
SCHEMA = "public"

# Tables of people and their cases: row-level security on each, audited by triggers.
PERSONAL_TABLES: tuple[str, ...] = (
    "person",
    "case_file",
    "case_status_change",
    "referral",
    "referral_warning",
    "match_review",
    "person_merge",
    "consent_entry",
    "contact_attempt",
    "treatment_referral",
    "naloxone_supply",
    "letter",
    "letter_print",
    "case_note",
    "person_change",
)
# Rejected referrals kept by intake: leads read and decide them, any import adds them.
QUARANTINE_TABLE = "quarantined_row"
# Spike alerts (``casework.spikes``): counts for a district, raised by any import.
SPIKE_TABLES = ("spike_alert", "spike_alert_case", "spike_alert_ack")
# Read-only to every login: the owner writes them, through the definer functions.
APPEND_ONLY = frozenset({"audit_event", "destruction_log", "audit_private_value"})
# What Followup's own work deletes, and who: nothing else is deletable by any login.
GROUP_DELETES: dict[str, str] = {
    "case_file": "merging two people folds an untouched duplicate case into the open one",
    "case_status_change": "the folded case's status history goes with it (kept in the merge)",
}

# The lockout rule is accounts.py's, kept by the server's functions here.
LOCK_AFTER = LOCK_AFTER_FAILURES
LOCK_FIRST_SECONDS = int(FIRST_LOCK.total_seconds())
LOCK_LONGEST_SECONDS = int(LONGEST_LOCK.total_seconds())

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def identifier(name: str) -> str:
    """A role or database name, checked so that it can go into SQL as it is."""
    if not _IDENTIFIER.match(name):
        raise FollowupError(
            f"{name!r} cannot be used as a PostgreSQL role or database name here; use lower-case "
            "letters, digits and underscores, starting with a letter."
        )
    return name


@dataclass(frozen=True)
class TeamRoles:
    """The server-wide role names of one Followup team."""

    owner: str = OWNER_ROLE
    gate: str = GATE_ROLE
    prefix: str = "followup"

    def __post_init__(self) -> None:
        for name in (self.owner, self.gate, self.prefix):
            identifier(name)

    def group(self, role: Role | str) -> str:
        return f"{self.prefix}_{Role(role).value}"

    @property
    def groups(self) -> tuple[str, str, str]:
        return (self.group(Role.WORKER), self.group(Role.LEAD), self.group(Role.ADMIN))


def is_team_server(db: Database) -> bool:
    """Whether ``install`` has run on this database (a PostgreSQL team server)."""
    if db.is_sqlite:
        return False
    with db.engine.connect() as conn:
        return bool(
            conn.execute(
                text("SELECT to_regprocedure('followup_audit(text,text,integer,text)') IS NOT NULL")
            ).scalar()
        )


# ------------------------------------------------------------------------ definer functions


def _definer(signature: str, returns: str, body: str, *, language: str = "plpgsql") -> str:
    stable = " STABLE" if "STABLE" in returns else ""
    returns = returns.replace(" STABLE", "")
    return (
        f"CREATE OR REPLACE FUNCTION {signature} RETURNS {returns}\n"
        f"LANGUAGE {language}{stable} SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $fn$\n"
        f"{body.strip()}\n$fn$"
    )


_NOW_UTC = "(now() AT TIME ZONE 'UTC')"


def _functions(roles: TeamRoles) -> list[tuple[str, str, tuple[str, ...]]]:
    """(signature for GRANT, CREATE statement, who may EXECUTE it)."""
    worker, lead, admin = roles.groups
    staff = (worker, lead, admin)
    # Whoever owns the schema (the login `followup init` ran as) may make the first admin.
    owner = f"(SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '{SCHEMA}')"
    must_be_admin = (
        f"IF followup_my_role() IS DISTINCT FROM 'admin' AND session_user <> {owner} THEN\n"
        "        RAISE EXCEPTION 'Only an administrator can manage users.' "
        "USING ERRCODE = 'insufficient_privilege';\n    END IF;"
    )
    purge_declare = "\n".join(f"    v_{name} integer[];" for name in PURGE_SET_NAMES)
    purge_sets = "\n".join(
        f"    v_{name} := ARRAY({on_server(query)});"
        for name, query in PURGE_SETS
        if name != "people"
    )
    purge_counts = ", ".join(
        f"'{table}', (SELECT count(*) FROM {table} WHERE {on_server(where)})"
        for table, where in PURGE_DELETES
    )
    purge_deletes = "\n".join(
        f"        DELETE FROM {table} WHERE {on_server(where)};" for table, where in PURGE_DELETES
    )
    people_query = on_server(dict(PURGE_SETS)["people"]).replace("{person}", "p_person_id")
    return [
        (
            "followup_me()",
            _definer(
                "followup_me()",
                "integer STABLE",
                "SELECT id FROM user_account WHERE username = session_user AND active",
                language="sql",
            ),
            staff,
        ),
        (
            "followup_my_role()",
            _definer(
                "followup_my_role()",
                "text STABLE",
                "SELECT role FROM user_account WHERE username = session_user AND active",
                language="sql",
            ),
            staff,
        ),
        (
            "followup_person_has_cases(integer)",
            _definer(
                "followup_person_has_cases(p_person integer)",
                "boolean STABLE",
                "SELECT EXISTS (SELECT 1 FROM case_file WHERE person_id = p_person)",
                language="sql",
            ),
            (worker, lead),
        ),
        (
            "followup_audit(text, text, integer, text)",
            _definer(
                "followup_audit(p_action text, p_entity text, p_entity_id integer, p_details text)",
                "integer",
                f"""
DECLARE
    v_id integer;
BEGIN
    INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, details)
    VALUES ({_NOW_UTC}, followup_me(), session_user, p_action, p_entity, p_entity_id, p_details)
    RETURNING id INTO v_id;
    RETURN v_id;
END""",
            ),
            staff,
        ),
        (
            "followup_audit_private(text, text, integer, text, text, integer)",
            _definer(
                "followup_audit_private(p_action text, p_entity text, p_entity_id integer, "
                "p_details text, p_private text, p_person_id integer)",
                "integer",
                f"""
DECLARE
    v_id integer;
BEGIN
    IF p_person_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person WHERE id = p_person_id) THEN
        RAISE EXCEPTION 'There is no such person.' USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, details)
    VALUES ({_NOW_UTC}, followup_me(), session_user, p_action, p_entity, p_entity_id, p_details)
    RETURNING id INTO v_id;
    INSERT INTO audit_private_value (audit_event_id, person_id, details)
    VALUES (v_id, p_person_id, p_private);
    RETURN v_id;
END""",
            ),
            staff,
        ),
        (
            "followup_row_audit()",
            # A trigger: every change to case data, stamped by the server. Only the names of
            # the columns that changed are kept, never their values (those are personal).
            f"""CREATE OR REPLACE FUNCTION followup_row_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $fn$
DECLARE
    v_new jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END;
    v_old jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END;
    v_fields jsonb;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(jsonb_agg(key ORDER BY key), '[]'::jsonb) INTO v_fields
        FROM jsonb_each(v_new) AS n(key, value)
        WHERE n.value IS DISTINCT FROM v_old -> n.key;
        IF v_fields = '[]'::jsonb THEN
            RETURN NULL;
        END IF;
    END IF;
    INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, details)
    VALUES (
        {_NOW_UTC}, followup_me(), session_user,
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
        left('row:' || TG_TABLE_NAME, 32),
        (coalesce(v_new, v_old) ->> 'id')::integer,
        CASE WHEN v_fields IS NULL THEN '{{"server": true}}'
             ELSE jsonb_build_object('server', true, 'fields', v_fields)::text END
    );
    RETURN NULL;
END
$fn$""",
            (),
        ),
        (
            "followup_create_user(text, text, text, text)",
            _definer(
                "followup_create_user(p_username text, p_display_name text, p_role text, "
                "p_verifier text)",
                "integer",
                f"""
DECLARE
    v_id integer;
    v_group text;
BEGIN
    {must_be_admin}
    IF p_username !~ '^[a-z_][a-z0-9_]{{0,62}}$' THEN
        RAISE EXCEPTION 'A login name here is lower-case letters, digits and underscores, starting with a letter.'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_role NOT IN ('worker', 'lead', 'admin') THEN
        RAISE EXCEPTION 'The role must be worker, lead or admin.' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_verifier IS NULL OR p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION 'A password reaches the server only as a SCRAM verifier.'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_group := '{roles.prefix}_' || p_role;
    SELECT id INTO v_id FROM user_account WHERE lower(username) = lower(p_username);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_username) THEN
        RAISE EXCEPTION 'There is already a database role with that name; choose another.'
            USING ERRCODE = 'duplicate_object';
    END IF;
    IF v_id IS NOT NULL AND (SELECT role FROM user_account WHERE id = v_id) <> p_role THEN
        RAISE EXCEPTION 'There is already a user with that name and another role; choose another name.'
            USING ERRCODE = 'duplicate_object';
    END IF;
    EXECUTE format(
        'CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS '
        'PASSWORD %L IN ROLE %I', p_username, p_verifier, v_group);
    IF v_id IS NULL THEN
        INSERT INTO user_account (username, display_name, role, active, password_hash, created_at,
                                  failed_sign_ins)
        VALUES (p_username, p_display_name, p_role, true, '', {_NOW_UTC}, 0)
        RETURNING id INTO v_id;
    ELSE
        -- An account from before the team server had logins: it gets its login now.
        UPDATE user_account SET password_hash = '', active = true WHERE id = v_id;
    END IF;
    PERFORM followup_audit('create', 'user', v_id,
        jsonb_build_object('username', p_username, 'role', p_role)::text);
    RETURN v_id;
END""",
            ),
            (admin,),
        ),
        (
            "followup_change_user(text, text, boolean, text, boolean)",
            _definer(
                "followup_change_user(p_username text, p_role text, p_active boolean, "
                "p_verifier text, p_unlock boolean)",
                "void",
                f"""
DECLARE
    v_user user_account%ROWTYPE;
    v_changes jsonb := '{{}}'::jsonb;
BEGIN
    {must_be_admin}
    SELECT * INTO v_user FROM user_account WHERE username = p_username;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no Followup user with that name.' USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_username) THEN
        -- A user from before the team server had logins (an upgrade): a one-time password
        -- from an admin gives them their login.
        IF p_verifier IS NULL THEN
            RAISE EXCEPTION 'This user has no login on the team server yet; give them a one-time password first.'
                USING ERRCODE = 'undefined_object';
        END IF;
        IF p_username !~ '^[a-z_][a-z0-9_]{{0,62}}$' THEN
            RAISE EXCEPTION 'This user name cannot be a login; add the user again under a name of lower-case letters, digits and underscores.'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        EXECUTE format(
            'CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS '
            'PASSWORD %L IN ROLE %I', p_username, p_verifier, '{roles.prefix}_' || v_user.role);
        IF NOT v_user.active THEN
            EXECUTE format('ALTER ROLE %I NOLOGIN', p_username);
        END IF;
        v_changes := v_changes || '{{"login": "created"}}'::jsonb;
    END IF;
    IF EXISTS (
        SELECT 1 FROM pg_roles WHERE rolname = p_username
        AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)
    ) OR EXISTS (
        SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
        JOIN pg_roles u ON u.oid = m.member
        WHERE u.rolname = p_username AND g.rolname NOT IN ('{worker}', '{lead}', '{admin}')
    ) OR p_username = {owner} OR p_username = '{roles.gate}' THEN
        RAISE EXCEPTION 'That role is not an ordinary Followup login; a database administrator manages it.'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF v_user.role = 'admin' AND v_user.active
       AND ((p_role IS NOT NULL AND p_role <> 'admin') OR p_active IS FALSE)
       AND NOT EXISTS (SELECT 1 FROM user_account
                       WHERE role = 'admin' AND active AND id <> v_user.id) THEN
        RAISE EXCEPTION '% is the only active administrator; make someone else an administrator first, or nobody could manage users.', v_user.username
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_role IS NOT NULL AND p_role <> v_user.role THEN
        IF p_role NOT IN ('worker', 'lead', 'admin') THEN
            RAISE EXCEPTION 'The role must be worker, lead or admin.' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        EXECUTE format('REVOKE %I FROM %I', '{roles.prefix}_' || v_user.role, p_username);
        EXECUTE format('GRANT %I TO %I', '{roles.prefix}_' || p_role, p_username);
        UPDATE user_account SET role = p_role, version = version + 1 WHERE id = v_user.id;
        v_changes := v_changes || jsonb_build_object('role', jsonb_build_array(v_user.role, p_role));
    END IF;
    IF p_active IS NOT NULL AND p_active <> v_user.active THEN
        EXECUTE format('ALTER ROLE %I %s', p_username, CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
        UPDATE user_account SET active = p_active, version = version + 1 WHERE id = v_user.id;
        v_changes := v_changes || jsonb_build_object('active', jsonb_build_array(v_user.active, p_active));
    END IF;
    IF p_verifier IS NOT NULL THEN
        IF p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
            RAISE EXCEPTION 'A password reaches the server only as a SCRAM verifier.'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        EXECUTE format('ALTER ROLE %I PASSWORD %L', p_username, p_verifier);
        UPDATE user_account SET password_must_change = true, version = version + 1
            WHERE id = v_user.id;
        v_changes := v_changes || '{{"password": "reset"}}'::jsonb;
    END IF;
    IF p_unlock THEN
        UPDATE user_account SET failed_sign_ins = 0, locked_until = NULL, version = version + 1 WHERE id = v_user.id;
        v_changes := v_changes || '{{"unlocked": true}}'::jsonb;
    END IF;
    IF v_changes <> '{{}}'::jsonb THEN
        PERFORM followup_audit('update', 'user', v_user.id, v_changes::text);
    END IF;
END""",
            ),
            (admin,),
        ),
        (
            "followup_sign_in_lock(text)",
            _definer(
                "followup_sign_in_lock(p_username text)",
                "timestamp",
                f"""
DECLARE
    v_user user_account%ROWTYPE;
BEGIN
    SELECT * INTO v_user FROM user_account
    WHERE lower(username) = lower(left(p_username, 64)) AND locked_until > {_NOW_UTC};
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- An attempt while locked is refused before the password is tried, and audited.
    INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, details)
    VALUES ({_NOW_UTC}, v_user.id, left(p_username, 64), 'login_failed', 'user', v_user.id,
            '{{"reason": "locked"}}');
    RETURN v_user.locked_until;
END""",
            ),
            (roles.gate, *staff),
        ),
        (
            "followup_sign_in_failed(text)",
            _definer(
                "followup_sign_in_failed(p_username text)",
                "timestamp",
                f"""
DECLARE
    v_user user_account%ROWTYPE;
    v_until timestamp;
BEGIN
    SELECT * INTO v_user FROM user_account WHERE lower(username) = lower(left(p_username, 64))
    FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, details)
        VALUES ({_NOW_UTC}, NULL, left(p_username, 64), 'login_failed', 'user', NULL,
                '{{"reason": "wrong name or password"}}');
        RETURN NULL;
    END IF;
    IF v_user.failed_sign_ins + 1 >= {LOCK_AFTER} THEN
        v_until := {_NOW_UTC} + make_interval(secs => least(
            {LOCK_FIRST_SECONDS} * power(2, least(v_user.failed_sign_ins + 1 - {LOCK_AFTER}, 10)),
            {LOCK_LONGEST_SECONDS}));
    END IF;
    UPDATE user_account SET failed_sign_ins = failed_sign_ins + 1,
        locked_until = coalesce(v_until, locked_until)
    WHERE id = v_user.id;
    INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, details)
    VALUES ({_NOW_UTC}, v_user.id, left(p_username, 64), 'login_failed', 'user', v_user.id,
            jsonb_strip_nulls(jsonb_build_object(
                'reason', 'wrong name or password',
                'locked_until', to_char(v_until, 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')))::text);
    RETURN v_until;
END""",
            ),
            (roles.gate, *staff),
        ),
        (
            "followup_signed_in()",
            _definer(
                "followup_signed_in()",
                "timestamp",
                f"""
DECLARE
    v_user user_account%ROWTYPE;
BEGIN
    SELECT * INTO v_user FROM user_account WHERE username = session_user FOR UPDATE;
    IF NOT FOUND OR NOT v_user.active THEN
        RAISE EXCEPTION 'This login is not a Followup user, or has been switched off.'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF v_user.locked_until > {_NOW_UTC} THEN
        INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, details)
        VALUES ({_NOW_UTC}, v_user.id, session_user, 'login_failed', 'user', v_user.id,
                '{{"reason": "locked"}}');
        RETURN v_user.locked_until;
    END IF;
    UPDATE user_account SET failed_sign_ins = 0, locked_until = NULL,
        last_sign_in_at = {_NOW_UTC} WHERE id = v_user.id;
    INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, details)
    VALUES ({_NOW_UTC}, v_user.id, session_user, 'login', 'user', v_user.id, NULL);
    RETURN NULL;
END""",
            ),
            staff,
        ),
        (
            "followup_change_my_password(text)",
            _definer(
                "followup_change_my_password(p_verifier text)",
                "void",
                f"""
DECLARE
    v_user user_account%ROWTYPE;
BEGIN
    SELECT * INTO v_user FROM user_account WHERE username = session_user AND active FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This login is not a Followup user, or has been switched off.'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_verifier IS NULL OR p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION 'A password reaches the server only as a SCRAM verifier.'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', session_user, p_verifier);
    UPDATE user_account SET password_must_change = false, version = version + 1
        WHERE id = v_user.id;
    INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, details)
    VALUES ({_NOW_UTC}, v_user.id, session_user, 'update', 'user', v_user.id,
            '{{"password_changed": true}}');
END""",
            ),
            staff,
        ),
        (
            "followup_match_candidates(text[], date[])",
            _definer(
                "followup_match_candidates(p_nhs text[], p_dobs date[])",
                "TABLE(id integer, first_name text, last_name text, date_of_birth date, "
                "nhs_number text, gender text, phone text, address text, postcode text, "
                "email text, merged_into_id integer)",
                """
BEGIN
    IF followup_my_role() NOT IN ('worker', 'lead') THEN
        RAISE EXCEPTION 'Only workers and team leads import referrals.'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
    WITH RECURSIVE hits AS (
        SELECT p.id FROM person p WHERE p.nhs_number = ANY(p_nhs)
        UNION
        SELECT p.id FROM person p WHERE p.date_of_birth = ANY(p_dobs) AND p.merged_into_id IS NULL
    ), chain AS (
        SELECT h.id FROM hits h
        UNION
        SELECT p.merged_into_id FROM person p JOIN chain c ON p.id = c.id
        WHERE p.merged_into_id IS NOT NULL
    )
    SELECT p.id, p.first_name::text, p.last_name::text, p.date_of_birth, p.nhs_number::text,
           p.gender::text, p.phone::text, p.address::text, p.postcode::text, p.email::text,
           p.merged_into_id
    FROM person p WHERE p.id IN (SELECT chain.id FROM chain);
END""",
            ),
            (worker, lead),
        ),
        (
            "followup_intake_facts(integer[], text[], text[])",
            _definer(
                "followup_intake_facts(p_people integer[], p_forces text[], p_references text[])",
                "TABLE(kind text, person_id integer, case_id integer, force text, "
                "police_reference text, at timestamp, n integer)",
                """
BEGIN
    IF followup_my_role() NOT IN ('worker', 'lead') THEN
        RAISE EXCEPTION 'Only workers and team leads import referrals.'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Each person's open case, when and how often they were referred before, and which of
    -- these police references are already known: what intake needs, and nothing more.
    RETURN QUERY
    SELECT 'open_case', c.person_id, c.id, NULL::text, NULL::text, c.next_action_due_at, NULL::integer
    FROM case_file c WHERE c.person_id = ANY(p_people) AND c.status <> 'closed'
    UNION ALL
    SELECT 'referrals', r.person_id, NULL::integer, NULL::text, NULL::text, max(r.incident_at),
           count(*)::integer
    FROM referral r WHERE r.person_id = ANY(p_people) GROUP BY r.person_id
    UNION ALL
    SELECT 'known', NULL::integer, r.case_id, r.force::text, r.police_reference::text, NULL, NULL
    FROM referral r
    JOIN unnest(p_forces, p_references) AS w(force, reference)
      ON lower(r.force) = lower(w.force) AND r.police_reference = w.reference;
END""",
            ),
            (worker, lead),
        ),
        (
            "followup_bring_forward(integer[], timestamp)",
            _definer(
                "followup_bring_forward(p_cases integer[], p_due timestamp)",
                "integer",
                """
DECLARE
    v_n integer;
BEGIN
    IF followup_my_role() NOT IN ('worker', 'lead') THEN
        RAISE EXCEPTION 'Only workers and team leads import referrals.'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- A new overdose within an open case needs a timely first attempt again, whoever holds
    -- the case: intake may only bring its next action forward, never push it back.
    UPDATE case_file SET next_action_due_at = p_due, version = version + 1
    WHERE id = ANY(p_cases) AND status <> 'closed'
      AND (next_action_due_at IS NULL OR next_action_due_at > p_due);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END""",
            ),
            (worker, lead),
        ),
        (
            "followup_forget_search_texts(timestamp)",
            _definer(
                "followup_forget_search_texts(p_before timestamp)",
                "integer",
                """
DECLARE
    v_n integer;
BEGIN
    IF followup_my_role() IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'Only an administrator runs retention.' USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM audit_private_value WHERE person_id IS NULL
      AND audit_event_id IN (SELECT id FROM audit_event WHERE at < p_before);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END""",
            ),
            (admin,),
        ),
        (
            "followup_forget_quarantine(timestamp)",
            _definer(
                "followup_forget_quarantine(p_now timestamp)",
                "integer",
                f"""
DECLARE
    v_n integer;
    v_years integer;
BEGIN
    IF followup_my_role() IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'Only an administrator runs retention.' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT CASE WHEN value ~ '^[0-9]+$' AND value::integer BETWEEN 1 AND 100 THEN value::integer
                ELSE 8 END
    INTO v_years FROM setting WHERE key = 'retention.closed_years';
    v_years := coalesce(v_years, 8);
    DELETE FROM {QUARANTINE_TABLE}
    WHERE coalesce(decided_at, received_at)
          < least(coalesce(p_now, {_NOW_UTC}), {_NOW_UTC}) - make_interval(years => v_years);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END""",
            ),
            (admin,),
        ),
        (
            "followup_retention_review()",
            _definer(
                "followup_retention_review()",
                "TABLE(person_id integer, merged_into_id integer, initials text, birth_year "
                "integer, case_id integer, police_reference text, status text, closed_at "
                "timestamp, letters integer)",
                """
BEGIN
    IF followup_my_role() IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'Only an administrator reviews retention.' USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Identifiers and dates only: initials and year of birth, never names or case details.
    RETURN QUERY
    SELECT p.id, p.merged_into_id,
           upper(left(coalesce(trim(p.first_name), ''), 1) || left(coalesce(trim(p.last_name), ''), 1)),
           extract(year FROM p.date_of_birth)::integer,
           c.id, c.police_reference::text, c.status::text, c.closed_at,
           (SELECT count(*)::integer FROM letter l WHERE l.case_id = c.id)
    FROM person p LEFT JOIN case_file c ON c.person_id = p.id;
END""",
            ),
            (admin,),
        ),
        (
            "followup_destroy_person(integer, boolean, timestamp)",
            _definer(
                "followup_destroy_person(p_person_id integer, p_dry_run boolean, p_cutoff timestamp)",
                "text",
                f"""
DECLARE
{purge_declare}
    v_open integer;
    v_closed timestamp;
    v_counts jsonb;
    v_years integer;
    v_cutoff timestamp;
    v_log integer;
BEGIN
    IF followup_my_role() IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'Only an administrator can destroy records, through the retention review.'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT CASE WHEN value ~ '^[0-9]+$' AND value::integer BETWEEN 1 AND 100 THEN value::integer
                ELSE 8 END
    INTO v_years FROM setting WHERE key = 'retention.closed_years';
    v_years := coalesce(v_years, 8);
    -- The caller may bring the day forward for a dry run, never the retention period itself.
    v_cutoff := least(coalesce(p_cutoff, {_NOW_UTC}), {_NOW_UTC}) - make_interval(years => v_years);
    v_people := ARRAY({people_query});
    PERFORM 1 FROM person WHERE id = ANY(v_people) FOR UPDATE;
    PERFORM 1 FROM case_file WHERE person_id = ANY(v_people) FOR UPDATE;
    SELECT count(*) FILTER (WHERE status <> 'closed'), max(closed_at)
    INTO v_open, v_closed FROM case_file WHERE person_id = ANY(v_people);
    IF NOT EXISTS (SELECT 1 FROM person WHERE id = p_person_id AND merged_into_id IS NULL)
       OR v_open > 0 OR v_closed IS NULL OR v_closed >= v_cutoff THEN
        RAISE EXCEPTION 'Person % is not due for destruction: a case is open or was closed less than % years ago, or the record is gone.', p_person_id, v_years
            USING ERRCODE = 'check_violation';
    END IF;
{purge_sets}
    v_counts := jsonb_build_object({purge_counts});
    IF NOT p_dry_run THEN
{purge_deletes}
        INSERT INTO destruction_log (destroyed_at, approved_by_id, person_id, case_ids, closed_on,
                                     retention_years, letters_removed)
        VALUES ({_NOW_UTC}, followup_me(), p_person_id, to_jsonb(v_cases)::text, v_closed::date,
                v_years, coalesce(array_length(v_letters, 1), 0))
        RETURNING id INTO v_log;
        PERFORM followup_audit('purge', 'person', p_person_id,
            jsonb_build_object('people', coalesce(array_length(v_people, 1), 0))::text);
    END IF;
    RETURN jsonb_build_object(
        'counts', v_counts, 'cases', to_jsonb(v_cases), 'letters', coalesce(array_length(v_letters, 1), 0),
        'people', coalesce(array_length(v_people, 1), 0), 'closed_on', v_closed::date,
        'retention_years', v_years, 'log_id', v_log)::text;
END""",
            ),
            (admin,),
        ),
        (
            "followup_new_overdose(integer, integer, timestamp, timestamp, timestamp)",
            _definer(
                "followup_new_overdose(p_case integer, p_referral integer, p_incident timestamp, "
                "p_received timestamp, p_due timestamp)",
                "integer",
                """
DECLARE
    v_n integer;
BEGIN
    IF followup_my_role() NOT IN ('worker', 'lead') THEN
        RAISE EXCEPTION 'Only workers and team leads import referrals.'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- A new overdose of a person with an open case, whoever holds it: the alert for the
    -- case's worker, and the round of contact restarted from the new referral.
    UPDATE case_file SET reoverdose_referral_id = p_referral, reoverdose_at = p_incident,
           reoverdose_acknowledged_at = NULL, reoverdose_acknowledged_by_id = NULL,
           round_started_at = p_received, next_action_due_at = p_due,
           incident_at = greatest(incident_at, p_incident), version = version + 1
    WHERE id = p_case AND status <> 'closed'
      AND EXISTS (SELECT 1 FROM referral r WHERE r.id = p_referral AND r.case_id = p_case);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END""",
            ),
            (worker, lead),
        ),
        (
            "followup_reopen_recent(integer[], timestamp, text, text)",
            _definer(
                "followup_reopen_recent(p_people integer[], p_at timestamp, p_to_worker text, "
                "p_to_inbox text)",
                "TABLE(person_id integer, case_id integer)",
                """
#variable_conflict use_column
DECLARE
    v_days integer;
    r record;
    v_keep boolean;
BEGIN
    IF followup_my_role() NOT IN ('worker', 'lead') THEN
        RAISE EXCEPTION 'Only workers and team leads import referrals.'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT CASE WHEN value ~ '^[0-9]+$' AND value::integer BETWEEN 0 AND 365 THEN value::integer
                ELSE 90 END
    INTO v_days FROM setting WHERE key = 'reoverdose.reopen_within_days';
    v_days := coalesce(v_days, 90);
    IF v_days = 0 THEN
        RETURN;
    END IF;
    -- Each person's most recently closed case, closed within the period, when they have no
    -- open case: back to its worker while their account is active, else to the inbox.
    FOR r IN
        SELECT c.id, c.person_id, c.assigned_worker_id,
               coalesce(u.active AND u.role IN ('worker', 'lead'), false) AS active
        FROM case_file c LEFT JOIN user_account u ON u.id = c.assigned_worker_id
        WHERE c.id IN (
            SELECT DISTINCT ON (l.person_id) l.id FROM case_file l
            WHERE l.person_id = ANY(p_people) AND l.status = 'closed'
              AND l.closed_at >= least(p_at, {now}) - make_interval(days => v_days)
              AND NOT EXISTS (SELECT 1 FROM case_file o WHERE o.person_id = l.person_id
                              AND o.status <> 'closed')
            ORDER BY l.person_id, l.closed_at DESC, l.id DESC)
        ORDER BY c.id
        FOR UPDATE OF c
    LOOP
        v_keep := r.assigned_worker_id IS NOT NULL AND r.active;
        UPDATE case_file SET status = CASE WHEN v_keep THEN 'contacting' ELSE 'new' END,
               assigned_worker_id = CASE WHEN v_keep THEN assigned_worker_id END,
               closure_reason = NULL, closure_note = NULL, closed_at = NULL,
               version = version + 1
        WHERE id = r.id;
        INSERT INTO case_status_change (case_id, from_status, to_status, changed_at,
                                        changed_by_id, reason)
        VALUES (r.id, 'closed', CASE WHEN v_keep THEN 'contacting' ELSE 'new' END, least(p_at, {now}),
                followup_me(), replace(CASE WHEN v_keep THEN p_to_worker ELSE p_to_inbox END,
                                       '{days}', v_days::text));
        person_id := r.person_id;
        case_id := r.id;
        RETURN NEXT;
    END LOOP;
END""".replace("{now}", _NOW_UTC),
            ),
            (worker, lead),
        ),
    ]


# ------------------------------------------------------------------------ policies


def _policies(roles: TeamRoles) -> list[str]:
    """Row-level security: who sees and writes which people and cases.

    Each policy names the group it is for (``TO``), so PostgreSQL applies only a user's own
    group's policies: a lead's are plain ``true`` and cost nothing, and a worker's follow their
    caseload. An admin's group has no policy (and no grant) on people and cases at all. A
    subquery in a policy is itself filtered by the policies of the table it reads, so "a case
    this worker may see" is simply ``EXISTS (SELECT 1 FROM case_file ...)``.
    """
    worker, lead, admin = roles.groups
    me = "(SELECT followup_me())"
    statements: list[str] = []

    def policy(
        table: str, name: str, command: str, to: str, using: str | None, check: str | None
    ) -> None:
        parts = [f"CREATE POLICY {name} ON {table} AS PERMISSIVE FOR {command} TO {to}"]
        if using is not None:
            parts.append(f"USING ({using})")
        if check is not None:
            parts.append(f"WITH CHECK ({check})")
        statements.append(" ".join(parts))

    def case_of(column: str) -> str:
        return f"EXISTS (SELECT 1 FROM case_file c WHERE c.id = {column})"

    def person_of(column: str) -> str:
        return (
            f"(EXISTS (SELECT 1 FROM case_file c WHERE c.person_id = {column}) "
            f"OR EXISTS (SELECT 1 FROM match_review r WHERE r.state = 'pending' "
            f"AND (r.incoming_person_id = {column} OR r.candidate_person_id = {column})))"
        )

    for table in PERSONAL_TABLES:
        policy(table, "lead_all", "ALL", lead, "true", "true")
    # case_file: a worker reads their own caseload and the inbox of new unassigned cases, may
    # take an inbox case for themselves, and never hands a case to anyone else.
    policy(
        "case_file",
        "worker_read",
        "SELECT",
        worker,
        f"assigned_worker_id = {me} OR (assigned_worker_id IS NULL AND status = 'new')",
        None,
    )
    policy(
        "case_file",
        "worker_add",
        "INSERT",
        worker,
        None,
        f"assigned_worker_id IS NULL OR assigned_worker_id = {me}",
    )
    policy(
        "case_file",
        "worker_change",
        "UPDATE",
        worker,
        f"assigned_worker_id = {me} OR (assigned_worker_id IS NULL AND status = 'new')",
        f"assigned_worker_id = {me}",
    )
    # person: visible when one of their cases is, or they are in a pending match review, or
    # intake has just written them and they have no case yet (nobody's yet).
    person = (
        f"{person_of('person.id')} OR (merged_into_id IS NULL "
        "AND NOT followup_person_has_cases(person.id))"
    )
    policy("person", "worker_read", "SELECT", worker, person, None)
    policy("person", "worker_add", "INSERT", worker, None, "true")
    policy("person", "worker_change", "UPDATE", worker, person, "true")
    # Rows of a case follow the case.
    for table in ("case_status_change", "contact_attempt", "treatment_referral", "letter"):
        visible = case_of(f"{table}.case_id")
        policy(table, "worker_all", "ALL", worker, visible, visible)
    # Intake attaches a new referral to the person's open case whoever holds it: adding is
    # allowed, reading follows the case or the person.
    policy(
        "referral",
        "worker_read",
        "SELECT",
        worker,
        f"{case_of('referral.case_id')} OR {person_of('referral.person_id')}",
        None,
    )
    policy("referral", "worker_add", "INSERT", worker, None, "true")
    policy("referral", "worker_change", "UPDATE", worker, case_of("referral.case_id"), None)
    # Consent and kits are the person's: whoever may see the person sees all of them, so
    # nobody contacts someone whose refusal was recorded on another worker's case.
    for table in ("consent_entry", "naloxone_supply"):
        visible = (
            f"({table}.case_id IS NOT NULL AND {case_of(f'{table}.case_id')}) "
            f"OR {person_of(f'{table}.person_id')}"
        )
        policy(table, "worker_all", "ALL", worker, visible, visible)
    warning = "EXISTS (SELECT 1 FROM referral x WHERE x.id = referral_warning.referral_id)"
    policy("referral_warning", "worker_read", "SELECT", worker, warning, None)
    policy("referral_warning", "worker_add", "INSERT", worker, None, "true")
    policy("match_review", "worker_all", "ALL", worker, "true", "true")
    printed = "EXISTS (SELECT 1 FROM letter x WHERE x.id = letter_print.letter_id)"
    policy("letter_print", "worker_all", "ALL", worker, printed, printed)
    # The audit trail: leads and admins read it all; a worker reads their own events.
    for table in sorted(APPEND_ONLY):
        policy(table, "reader", "SELECT", f"{lead}, {admin}", "true", None)
    policy("audit_event", "worker_read", "SELECT", worker, f"user_id = {me}", None)
    policy(QUARANTINE_TABLE, "lead_all", "ALL", lead, "true", "true")
    policy(QUARANTINE_TABLE, "worker_add", "INSERT", worker, None, "true")
    # Case notes follow their case; a change of a person's details follows the person, like
    # consent (the person's details are the same on every one of their cases).
    noted = case_of("case_note.case_id")
    policy("case_note", "worker_all", "ALL", worker, noted, noted)
    changed = (
        f"(person_change.case_id IS NOT NULL AND {case_of('person_change.case_id')}) "
        f"OR {person_of('person_change.person_id')}"
    )
    policy("person_change", "worker_all", "ALL", worker, changed, changed)
    return statements


def _rls_tables() -> tuple[str, ...]:
    return (*PERSONAL_TABLES, QUARANTINE_TABLE, *sorted(APPEND_ONLY))


def install_statements(roles: TeamRoles | None = None, schema: str = SCHEMA) -> list[str]:
    """What ``followup init`` runs as the owner after the migrations, every time.

    Everything is revoked first and made again, so that after an upgrade exactly these rights,
    policies and functions exist.
    """
    roles = roles or TeamRoles()
    sch = identifier(schema)
    worker, lead, admin = roles.groups
    staff = ", ".join(roles.groups)
    everyone = f"{staff}, {roles.gate}"
    statements: list[str] = []
    for group in roles.groups:
        statements.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{group}') "
            f"THEN CREATE ROLE {group} NOLOGIN NOINHERIT; END IF; END $$"
        )
    statements += [
        "DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()); "
        f"EXECUTE format('GRANT CONNECT ON DATABASE %I TO {everyone}', current_database()); END $$",
        f"REVOKE ALL ON SCHEMA {sch} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {sch} TO {everyone}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM PUBLIC, {everyone}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM PUBLIC, {everyone}",
        f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {sch} FROM PUBLIC, {everyone}",
        # The shared app role and the unchecked purge of earlier versions are gone.
        "DROP FUNCTION IF EXISTS followup_purge_person(integer)",
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{LEGACY_APP_ROLE}') THEN "
        f"EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {LEGACY_APP_ROLE}'; "
        f"EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM {LEGACY_APP_ROLE}'; "
        f"EXECUTE 'REVOKE ALL ON SCHEMA {sch} FROM {LEGACY_APP_ROLE}'; "
        f"EXECUTE format('REVOKE ALL ON DATABASE %I FROM {LEGACY_APP_ROLE}', current_database()); "
        "END IF; END $$",
        f"GRANT SELECT ON {sch}.alembic_version TO {everyone}",
        f"GRANT SELECT ON {sch}.user_account TO {staff}",
        f"GRANT SELECT ON {sch}.setting, {sch}.service TO {staff}",
        f"GRANT INSERT, UPDATE, DELETE ON {sch}.setting TO {admin}",
        f"GRANT INSERT, UPDATE ON {sch}.service TO {admin}",
        f"GRANT SELECT ON {', '.join(sorted(APPEND_ONLY))} TO {staff}",
        f"GRANT SELECT, INSERT, UPDATE ON {', '.join(PERSONAL_TABLES)} TO {worker}, {lead}",
        f"GRANT DELETE ON {', '.join(GROUP_DELETES)} TO {lead}",
        f"GRANT SELECT, INSERT, UPDATE ON {QUARANTINE_TABLE} TO {lead}",
        f"GRANT INSERT ON {QUARANTINE_TABLE} TO {worker}",
        f"GRANT SELECT, INSERT, UPDATE ON {', '.join(SPIKE_TABLES)} TO {worker}, {lead}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {sch} TO {staff}",
        # No password material on the team server: the server's login roles hold it.
        f"UPDATE {sch}.user_account SET password_hash = '' WHERE password_hash <> ''",
    ]
    for signature, create, callers in _functions(roles):
        statements.append(create)
        statements.append(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        if callers:
            statements.append(f"GRANT EXECUTE ON FUNCTION {signature} TO {', '.join(callers)}")
    for table in _rls_tables():
        statements += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"DO $$ DECLARE p record; BEGIN FOR p IN SELECT policyname FROM pg_policies "
            f"WHERE tablename = '{table}' AND schemaname = '{sch}' LOOP "
            f"EXECUTE format('DROP POLICY %I ON {table}', p.policyname); END LOOP; END $$",
        ]
    statements += _policies(roles)
    for mapped in Base.metadata.sorted_tables:
        if mapped.name in APPEND_ONLY:
            continue
        statements += [
            f"DROP TRIGGER IF EXISTS followup_row_audit ON {mapped.name}",
            f"CREATE TRIGGER followup_row_audit AFTER INSERT OR UPDATE OR DELETE ON {mapped.name} "
            "FOR EACH ROW EXECUTE FUNCTION followup_row_audit()",
        ]
    return statements


def install(db: Database, roles: TeamRoles | None = None) -> None:
    """Run ``install_statements`` as the connected owner (``followup init`` on PostgreSQL)."""
    if db.is_sqlite:
        raise FollowupError(
            "Database roles are for a PostgreSQL team server; a SQLite file has no roles."
        )
    roles = roles or TeamRoles()
    with db.engine.begin() as conn:
        gate = conn.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": roles.gate}
        ).scalar()
        if not gate:
            raise FollowupError(
                f"There is no database role called {roles.gate}; a database administrator "
                "creates it first (see docs/team-server.sql)."
            )
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement in install_statements(roles):
            raw.execute(statement)  # no parameters: format()'s %I stays as it is
    log.info("Team server rights, policies and functions installed")


# --------------------------------------------------------------------------- the DBA script


def server_setup_statements(database: str = DATABASE, roles: TeamRoles | None = None) -> list[str]:
    """Run by a superuser in the server's maintenance database (e.g. ``postgres``)."""
    roles = roles or TeamRoles()
    db, own, gate = identifier(database), roles.owner, roles.gate
    return [
        # CREATEROLE lets the owner's definer functions make logins for Followup users.
        f"CREATE ROLE {own} LOGIN CREATEROLE NOSUPERUSER NOCREATEDB NOREPLICATION NOBYPASSRLS",
        f"CREATE ROLE {gate} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT",
        f"CREATE DATABASE {db} OWNER {own} ENCODING 'UTF8'",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {db} TO {gate}",
    ]


def database_setup_statements(roles: TeamRoles | None = None, schema: str = SCHEMA) -> list[str]:
    """Run by a superuser connected to the new database: the owner owns the schema."""
    roles = roles or TeamRoles()
    sch = identifier(schema)
    return [
        f"ALTER SCHEMA {sch} OWNER TO {roles.owner}",
        f"REVOKE ALL ON SCHEMA {sch} FROM PUBLIC",
    ]


def team_server_script(database: str = DATABASE, roles: TeamRoles | None = None) -> str:
    """The psql script for a database administrator (docs/team-server.sql)."""
    roles = roles or TeamRoles()
    lines = [
        "-- Followup team server: roles and database, for a PostgreSQL administrator.",
        "-- Generated by followup.protection.team_server.team_server_script(); run with psql "
        "as a superuser:",
        "--     psql -U postgres -f team-server.sql",
        "--",
        f"-- {roles.owner} owns the schema and is used only by `followup init`. Each Followup",
        "-- user is a PostgreSQL login of their own, made by `followup users add` (which runs",
        f"-- as an admin through a SECURITY DEFINER function owned by {roles.owner}), and",
        "-- belongs to one of the groups "
        + ", ".join(roles.groups)
        + ", which `followup init` creates.",
        f"-- {roles.gate} may only count failed sign-ins and read lockouts, so that a desktop",
        "-- can enforce the lockout before anyone has signed in; its password is shared by the",
        "-- team's desktops (FOLLOWUP_DB=postgresql://"
        + roles.gate
        + "@HOST:5432/"
        + database
        + ").",
        "",
        "\\set ON_ERROR_STOP on",
        "",
    ]
    lines += [s + ";" for s in server_setup_statements(database, roles)]
    lines += [
        "",
        "-- Passwords are typed, not stored in this file.",
        f"\\password {roles.owner}",
        f"\\password {roles.gate}",
        "",
        f"\\connect {database}",
    ]
    lines += [s + ";" for s in database_setup_statements(roles)]
    lines += [
        "",
        "-- Then, as the owner, create the schema, the groups, the rights, the row-level",
        "-- security policies and the functions (run the same command after every upgrade):",
        f"--     followup init --db postgresql://{roles.owner}@HOST:5432/{database}",
        "-- and add the first administrator, still as the owner:",
        f"--     followup users add NAME --role admin --db postgresql://{roles.owner}@HOST:5432/{database}",
        "",
        "-- Optional, and worth it: slow down password guessing at the server itself with",
        "-- auth_delay (in postgresql.conf: shared_preload_libraries = 'auth_delay' and",
        "-- auth_delay.milliseconds = 2000), and keep the server's own read log with pgaudit",
        "-- (Debian: apt install postgresql-15-pgaudit; shared_preload_libraries = 'pgaudit';",
        "-- then, in this database: CREATE EXTENSION pgaudit; ALTER DATABASE "
        + database
        + " SET pgaudit.log = 'read, write, role, ddl').",
        "",
    ]
    return "\n".join(lines)
