"""The case view: header, lifecycle actions, one panel per section, the timeline and letters.

- ``attempt_panel``: Contact attempts: a quick-log form made for the keyboard, the next due time and the history.
- ``consent_panel``: Consent: what is in force for each scope at a glance, a form to record a change, the history.
- ``corrections``: The correction dialog: amend a timeline entry, or mark it entered in error, with a reason.
- ``dialogs``: The small dialogs of the case lifecycle: close (reason and note), reopen (why), reassign.
- ``forms``: Small building blocks shared by the sections of the case view.
- ``header``: The case header: who the person is, the risk markers, status, worker and the next action due.
- ``letters``: The letters of one case: the list, Open (audited as a view), Reprint and New letter….
- ``lifecycle``: The lifecycle actions under the case header: the next step, close, reopen and reassign.
- ``naloxone_panel``: Take-home naloxone: record kits supplied, and see every kit and the latest expiry.
- ``notes_panel``: Case notes: a box to write a note on the case; the notes themselves are in the timeline.
- ``person_panel``: Person details: edit name, date of birth, NHS number, address, phone, email and GP practice.
- ``referral_panel``: The police referrals behind a case, read only: incident, officer, doses, substances, notes.
- ``subject_access``: The "Subject access…" action of the case view (team leads): the pack for one person.
- ``timeline``: The case timeline: everything that happened, newest first, with who did it.
- ``treatment_panel``: Treatment: refer to a service from the directory, then record assessment, start and exit.
- ``view``: The editable case view: header, lifecycle actions, sections and the timeline of one case.
"""

__all__ = [
    "attempt_panel",
    "consent_panel",
    "corrections",
    "dialogs",
    "forms",
    "header",
    "letters",
    "lifecycle",
    "naloxone_panel",
    "notes_panel",
    "person_panel",
    "referral_panel",
    "subject_access",
    "timeline",
    "treatment_panel",
    "view",
]
