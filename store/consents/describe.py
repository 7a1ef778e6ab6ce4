"""Reading a pupil for people: finding one by what a person types, and consent decisions in words.

Used by the child's chronology, the handover summary and the CLI, so a pupil is found the
same way and a withdrawal reads "withdrawn" in every output.
"""

from __future__ import annotations

from safedesk.store.consents.pupils import ConsentChange, ConsentStatus, Pupil, decision_key, name_key, pupil_index
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput

MAX_LISTED = 5  # an ambiguous name lists at most this many pupils in its one-line message


def resolve_pupil(session: Session, text: str, field: str = "pupil") -> int:
    """The id of the one pupil `text` names; InvalidInput (one line) when it names none or several.

    An MIS id or admission number is tried first, then the full name (or preferred first
    name plus surname). Several pupils with one name are listed with what tells them apart.
    """
    wanted = " ".join(text.split())
    if not wanted:
        raise InvalidInput("Name the pupil: their MIS id or full name.", field)
    index = pupil_index(session)
    key = wanted.casefold()
    found = list(dict.fromkeys(index.by_mis.get(key, []) + index.by_adno.get(key, [])))
    if not found:
        found = list(dict.fromkeys(index.by_name.get(name_key(wanted), [])))
    shown = wanted[:40]
    if not found:
        raise InvalidInput(f"No pupil in this store matches '{shown}': check the spelling or use the MIS id.", field)
    if len(found) > 1:
        rows = [index.by_id[i] for i in found]
        listed = "; ".join(
            f"{row.display_name} ("
            + ", ".join(
                part
                for part in (
                    f"MIS id {row.mis_id}" if row.mis_id else "no MIS id",
                    row.year_group,
                    row.form,
                    f"born {row.date_of_birth:%d/%m/%Y}" if row.date_of_birth else "",
                )
                if part
            )
            + ")"
            for row in rows[:MAX_LISTED]
        )
        more = f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else ""
        raise InvalidInput(f"{len(rows)} pupils match '{shown}': {listed}{more}. Use the MIS id to choose one.", field)
    return found[0]


def decision_words(pupil: Pupil) -> list[tuple[ConsentChange, str]]:
    """Each consent decision, in the order given, with its word: granted, refused, withdrawn or not asked.

    A refusal after a grant for the same purpose is a withdrawal, by the same rule
    `derive_states` uses for the current state.
    """
    granted_before: set[str] = set()
    out: list[tuple[ConsentChange, str]] = []
    for change in sorted(pupil.consents, key=lambda c: decision_key(c.facts())):
        word = change.status.label
        if change.status is ConsentStatus.REFUSED:
            if change.purpose in granted_before:
                word = "withdrawn"
                granted_before.discard(change.purpose)
        elif change.status is ConsentStatus.GRANTED:
            granted_before.add(change.purpose)
        out.append((change, word))
    return out
