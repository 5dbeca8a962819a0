"""A referral worker's casework: finding cases, the lifecycle, consent, attempts, treatment, kits.

- ``allocation``: Lead allocation: who holds how many open and overdue cases, and moving cases between workers.
- ``caseload``: Finding cases, with the role rules of DESIGN.md.
- ``consent``: Consent: a versioned history per person and scope; the latest entry per scope is in force.
- ``contact_gate``: One consent gate per contact method, for the attempt log, letters and batches alike.
- ``corrections``: Corrections, never deletions: amend an entry, or mark it entered in error, with a reason.
- ``detail``: Everything the case screen shows, as one typed read model; opening a case.
- ``directory``: The services directory that administrators keep: add, change, switch off.
- ``drafts``: Unsaved work kept for a user who was signed out, to give back when they sign in again.
- ``kits``: The naloxone kit lifecycle: kits near expiry on open cases, and a batch recall search.
- ``lifecycle``: The case lifecycle and the recorded actions of a referral worker's day.
- ``milestones``: Per-case report milestones (first attempt, first contact, engaged, referred, in treatment), kept by every writer.
- ``my_work``: A worker's open cases for the "My work" screen: overdue, due today, later.
- ``next_step``: What the next step on a case is, in words, from the schedule and consent.
- ``no_contact``: Closing a case without contact: the worker says why the person was never reached.
- ``notes``: Case notes: free text about a case that is not a contact attempt, timestamped and signed.
- ``people``: Editing a person's details, with the same validation as intake.
- ``reoverdose``: Re-overdose alerts: a new overdose of a person whose case is open or just closed.
- ``schedule``: Timeliness: when the next contact attempt on a case is due.
- ``spikes``: Spike alerts: several overdoses in one postcode district within a window.
- ``team_rules``: Team-wide rules kept in the database, so every machine of a team applies the same ones.
- ``treatment``: Treatment referrals and take-home naloxone kits recorded on a case.
"""

__all__ = [
    "allocation",
    "caseload",
    "consent",
    "contact_gate",
    "corrections",
    "detail",
    "directory",
    "drafts",
    "kits",
    "lifecycle",
    "milestones",
    "my_work",
    "next_step",
    "no_contact",
    "notes",
    "people",
    "reoverdose",
    "schedule",
    "spikes",
    "team_rules",
    "treatment",
]
