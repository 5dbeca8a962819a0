"""The four letter templates: who each goes to, the consent it rests on, its default wording
and the named placeholders its wording may use; plus the discretion rule for letters to the
person.

Wording is plain text. A placeholder is a name in braces, such as ``{first_name}``; a literal
brace is written twice (``{{`` or ``}}``). Nothing else in the wording has a meaning: it is
never code and never markup. A blank line starts a new paragraph, and the line breaks an
administrator types are kept. A line made only of placeholders that all turn out empty (an
optional note left blank, say) is left out of the letter.

Letters to the person (``appointment``, ``unable_to_contact``) must not name drugs, overdose,
police or treatment anywhere on the page, since someone else may open the post. Their wording
is checked when it is saved, and the final text of every such letter is checked again when it
is drawn. The organisation's name on the letterhead is the only sender shown, so it should be
a discreet one (for example "Community Support Team", not "Drug and Alcohol Service").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from followup.errors import RuleViolation
from followup.vocab import ConsentScope, LetterTemplate

__all__ = [
    "APPOINTMENT",
    "BANNED_WORDS",
    "COMMON",
    "MAX_BODY_CHARS",
    "PROFESSIONAL",
    "TEMPLATES",
    "TREATMENT",
    "Placeholder",
    "TemplateSpec",
    "banned_word",
    "check_wording",
    "discretion_refusal",
    "fill",
    "placeholders_in",
    "spec",
]

# Word forms that must never appear on a letter to the person. Whole words only, so that a
# surname such as "Drugan" or a street such as "Recoverton Way" is not refused by accident.
BANNED_WORDS = (
    "drug",
    "drugs",
    "drugged",
    "overdose",
    "overdoses",
    "overdosed",
    "overdosing",
    "od",
    "naloxone",
    "nyxoid",
    "prenoxad",
    "police",
    "policeman",
    "policewoman",
    "policing",
    "treatment",
    "treatments",
    "substance",
    "substances",
    "heroin",
    "opioid",
    "opioids",
    "opiate",
    "opiates",
    "methadone",
    "buprenorphine",
    "fentanyl",
    "cocaine",
    "narcotic",
    "narcotics",
    "alcohol",
    "alcoholic",
    "alcoholism",
    "addiction",
    "addictions",
    "addict",
    "addicts",
    "addicted",
    "recovery",
    "rehab",
    "rehabilitation",
    "detox",
    "misuse",
)
_BANNED = re.compile(r"(?<![\w])(" + "|".join(BANNED_WORDS) + r")(?![\w])", re.IGNORECASE)
# "OD" only counts in capitals (it is also part of ordinary words in other languages).
_CASE_SENSITIVE = {"od": "OD"}

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Placeholder:
    """A name in braces that a template's wording may use, and what it stands for."""

    name: str
    meaning: str


COMMON = (
    Placeholder("first_name", "the person's first name (or last name if that is all we know)"),
    Placeholder("last_name", "the person's last name"),
    Placeholder("full_name", "the person's first and last name"),
    Placeholder("worker_name", "the worker the case is assigned to (or the author)"),
    Placeholder("service_name", "our organisation's name, from the letterhead"),
    Placeholder("service_phone", "our phone number, from the letterhead"),
    Placeholder("today", "today's date, e.g. 14 May 2025"),
    Placeholder("case_reference", "our case number"),
    Placeholder("note", "a note typed when the letter is made (left out when empty)"),
)
APPOINTMENT = (
    Placeholder("appointment_date", "the day of the appointment, e.g. Tuesday 14 May 2025"),
    Placeholder("appointment_time", "the time of the appointment, e.g. 10:30am"),
    Placeholder("appointment_place", "where to meet"),
)
PROFESSIONAL = (
    Placeholder("recipient_name", "the treatment service or GP practice the letter goes to"),
    Placeholder("date_of_birth", "the person's date of birth"),
    Placeholder("nhs_number", "the person's NHS number"),
    Placeholder("incident_date", "the date of the incident the police referred"),
)
TREATMENT = (Placeholder("referred_on", "the date of the treatment referral"),)


@dataclass(frozen=True)
class TemplateSpec:
    """One letter template: who it goes to, the consent it rests on, its default wording."""

    name: LetterTemplate
    label: str
    to_person: bool
    consent_scope: ConsentScope
    consent_purpose: str
    placeholders: tuple[Placeholder, ...]
    default_body: str

    @property
    def placeholder_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.placeholders)

    @property
    def setting_key(self) -> str:
        return f"letter.{self.name}.body"


_SIGN_OFF = "Yours sincerely,\n\n\n\n{worker_name}\n{service_name}\n"

# Keyed by LetterTemplate members, so the template name stored with a letter finds its spec.
TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec
    for spec in (
        TemplateSpec(
            LetterTemplate.APPOINTMENT,
            "Appointment letter",
            True,
            ConsentScope.CONTACT_LETTER,
            "a letter to the person",
            COMMON + APPOINTMENT,
            "Dear {first_name},\n\n"
            "I would like to invite you to meet me on {appointment_date} at {appointment_time}, "
            "at:\n\n{appointment_place}\n\n"
            "It is a chance to talk about how things are going for you and whether there is "
            "anything we can help with. It is free and confidential, and you are welcome to "
            "bring someone with you.\n\n"
            "If the time does not suit you, or you would rather meet somewhere else, please "
            "call me on {service_phone} and we will find a time that works for you.\n\n"
            "{note}\n\n" + _SIGN_OFF,
        ),
        TemplateSpec(
            LetterTemplate.UNABLE_TO_CONTACT,
            "We tried to reach you",
            True,
            ConsentScope.CONTACT_LETTER,
            "a letter to the person",
            COMMON,
            "Dear {first_name},\n\n"
            "I have tried to get in touch with you a few times recently, but I have not been "
            "able to reach you.\n\n"
            "We would still like to hear from you. There is no pressure, and what you tell us "
            "is confidential. If you would like to talk, please call {service_phone} and ask "
            "for me, or for anyone in the team if I am not available.\n\n"
            "If now is not a good time, that is fine: you are welcome to contact us whenever "
            "you are ready.\n\n"
            "{note}\n\n" + _SIGN_OFF,
        ),
        TemplateSpec(
            LetterTemplate.TREATMENT_REFERRAL,
            "Referral to a treatment service",
            False,
            ConsentScope.SHARE_WITH_TREATMENT,
            "a treatment referral letter",
            COMMON + PROFESSIONAL + TREATMENT,
            "Dear colleagues at {recipient_name},\n\n"
            "I am writing to refer {full_name} to your service. {first_name} was referred to us "
            "by the police after a suspected overdose on {incident_date}, has talked with us "
            "about treatment and would like your help.\n\n"
            "{first_name} has given consent for us to share the details below with you. The "
            "referral summary and the consent it rests on follow this letter.\n\n"
            "{note}\n\n"
            "Please call me on {service_phone} if you need anything more, and let me know "
            "when an assessment has been arranged so that I can support {first_name} to "
            "attend.\n\n" + _SIGN_OFF,
        ),
        TemplateSpec(
            LetterTemplate.GP_NOTIFICATION,
            "Letter to the GP",
            False,
            ConsentScope.SHARE_WITH_GP,
            "a letter to the GP",
            COMMON + PROFESSIONAL,
            "Dear Doctor,\n\n"
            "I am writing to let you know that your patient {full_name}, born {date_of_birth}, "
            "is being supported by {service_name} after a suspected overdose on "
            "{incident_date}, reported to us by the police.\n\n"
            "{first_name} has given consent for us to share this with you. You may wish to "
            "note it in their record and to bear it in mind when reviewing their care, "
            "including any prescribed medicines that carry a risk in overdose.\n\n"
            "{note}\n\n"
            "Please call me on {service_phone} if you would like to discuss {first_name}'s "
            "support.\n\n" + _SIGN_OFF,
        ),
    )
}

MAX_BODY_CHARS = 10_000


def spec(template: str) -> TemplateSpec:
    """The template called ``template``, or a plain refusal naming the ones that exist."""
    try:
        return TEMPLATES[template]
    except KeyError:
        raise RuleViolation(
            f"There is no letter template called {template!r}; use one of {', '.join(TEMPLATES)}."
        ) from None


def _normalised(text: str) -> str:
    # Compatibility forms (full-width letters, ligatures) must not slip past the check.
    return unicodedata.normalize("NFKC", text)


def banned_word(text: str) -> str | None:
    """The first word in ``text`` that a letter to the person must not show, or None."""
    for match in _BANNED.finditer(_normalised(text)):
        word = match.group(1)
        needed = _CASE_SENSITIVE.get(word.lower())
        if needed is not None and word != needed:
            continue
        return word.lower()
    return None


def discretion_refusal(word: str, where: str) -> RuleViolation:
    """The refusal for a letter to the person that would show ``word``."""
    return RuleViolation(
        f'{where[0].upper()}{where[1:]} contains the word "{word}"; letters to the person must '
        "not name drugs, overdose, police or treatment, because someone else may open the "
        "post. Change the wording and try again."
    )


def placeholders_in(body: str) -> list[str]:
    """The placeholder names ``body`` uses, in order; refuses a stray or empty brace."""
    return list(_placeholder_names(body))


@functools.lru_cache(maxsize=64)
def _placeholder_names(body: str) -> tuple[str, ...]:
    # Read once per wording: a batch asks it of the same wording for every letter.
    names = []
    for match in _PLACEHOLDER.finditer(body):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise RuleViolation(
                "The wording has a single brace with no placeholder name; write a placeholder "
                "as {first_name}, or a literal brace twice ({{ or }})."
            )
        name = match.group(1).strip()
        if not name:
            raise RuleViolation("The wording has an empty placeholder {}; put a name inside it.")
        names.append(name)
    return tuple(names)


def check_wording(template: str, body: str) -> None:
    """Refuse wording that would make a wrong or indiscreet letter, saying why."""
    s = spec(template)
    if not body.strip():
        raise RuleViolation("The wording of a letter cannot be empty.")
    if len(body) > MAX_BODY_CHARS:
        raise RuleViolation(f"The wording is too long; keep it under {MAX_BODY_CHARS} characters.")
    for name in placeholders_in(body):
        if name not in s.placeholder_names:
            allowed = ", ".join("{" + p + "}" for p in sorted(s.placeholder_names))
            raise RuleViolation(
                f"The wording uses the placeholder {{{name}}}, which the {s.label.lower()} does "
                f"not know; use one of {allowed}."
            )
    if s.to_person:
        word = banned_word(body)
        if word:
            raise discretion_refusal(word, "the wording of this letter to the person")


def fill(body: str, values: dict[str, str]) -> str:
    """The wording with each placeholder replaced by its value, literally.

    A line made only of placeholders that are all empty is dropped, so an optional note left
    blank leaves no gap.
    """
    out_lines: list[str] = []
    dropped = False
    for line in _parsed(body):
        if dropped and line.blank and (not out_lines or not out_lines[-1].strip()):
            # The blank line after a dropped one would leave a double gap.
            dropped = False
            continue
        dropped = False
        filled = "".join(
            part if isinstance(part, str) else values.get(part[0], "") for part in line.parts
        )
        if line.only_placeholders and not filled.strip():
            dropped = True
            continue
        out_lines.append(filled)
    return "\n".join(out_lines).strip("\n") + "\n"


@dataclass(frozen=True)
class _Line:
    """One line of wording, split into literal text and placeholders (each a 1-tuple)."""

    parts: tuple[str | tuple[str], ...]
    blank: bool  # nothing but white space
    only_placeholders: bool  # at least one placeholder and no other text


@functools.lru_cache(maxsize=64)
def _parsed(body: str) -> tuple[_Line, ...]:
    """The wording split once, so a batch fills the same wording for each letter cheaply."""
    lines = []
    for line in body.split("\n"):
        parts: list[str | tuple[str]] = []
        had_placeholder = False
        at = 0
        for match in _PLACEHOLDER.finditer(line):
            if match.start() > at:
                parts.append(line[at : match.start()])
            token = match.group(0)
            if token == "{{":
                parts.append("{")
            elif token == "}}":
                parts.append("}")
            else:  # a placeholder (a stray brace is one with no name)
                had_placeholder = True
                parts.append(((match.group(1) or "").strip(),))
            at = match.end()
        if at < len(line):
            parts.append(line[at:])
        only = had_placeholder and not _PLACEHOLDER.sub("", line).strip()
        lines.append(_Line(tuple(parts), not line.strip(), only))
    return tuple(lines)
