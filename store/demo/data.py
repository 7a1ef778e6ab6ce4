"""A store full of realistic, clearly fictional data, for training staff and for tests.

`safedesk demo` builds one in a temporary folder, opens it, and deletes it on
exit; `safedesk --store DIR demo --create` writes a lasting one under the
trainer's own passphrase (`create_demo_store`), which opens, verifies and exports
like any store. Every name here is invented; the setting's name says DEMO and the
setting is marked as a demo, so every report opens with a DEMO banner and no
screen, report or export can be mistaken for real records.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session
from safedesk.store.text.dates import local_today

DEMO_PASSPHRASE = "riverside demo store only"
DEMO_SETTING = "Riverside Primary (DEMO: fictional data)"
DEMO_USER = "Alex Morgan (demo DSL)"
DEMO_LABEL = "blue kettle"  # the DSL's key on the unlock screen: fixed, so screenshots stay the same

_PUPILS = [
    ("Amara Okafor", "Year 6", "6R"),
    ("Ben Carter", "Year 6", "6R"),
    ("Chloé Dubois", "Year 6", "6S"),
    ("Daniyal Hussain", "Year 5", "5R"),
    ("Ellie-Mae Thompson", "Year 5", "5S"),
    ("Finn O'Sullivan", "Year 5", "5R"),
    ("Grace Nowak", "Year 4", "4R"),
    ("Harvey Patel", "Year 4", "4S"),
    ("Isla McKenzie", "Year 3", "3R"),
    ("Jayden Brown", "Year 3", "3S"),
    ("Kacper Zieliński", "Year 2", "2R"),
    ("Layla Ahmed", "Year 2", "2S"),
    ("Mia Robinson", "Year 1", "1R"),
    ("Noah Williams", "Year 1", "1S"),
    ("Olivia Evans", "Reception", "RR"),
    ("Poppy Clarke", "Year 4", "4S"),  # left recently: her child protection file is still to send (_leaver)
]
LEAVER = "Poppy Clarke"
LEFT_DAYS_AGO = 2  # within the 5-school-day clock, so home shows the transfer coming due


def build_demo(folder: Path) -> None:
    """Create the throwaway demo store in `folder` (which must not hold a store): the known passphrase
    and a cheap key derivation, since it lives only as long as the training session."""
    _build(folder, DEMO_PASSPHRASE, OpenOptions(kdf=crypto.fast_params_for_tests()))


def create_demo_store(folder: Path, passphrase: str) -> str:
    """A lasting demo store in `folder` (refused if it holds a store) under `passphrase`, with the normal
    key derivation and strength rule; returns its recovery key (shown once, as for any store)."""
    return _build(folder, passphrase, None)


def _build(folder: Path, passphrase: str, options: OpenOptions | None) -> str:
    session, recovery = Session.create(folder, DEMO_SETTING, DEMO_USER, passphrase, options, label=DEMO_LABEL)
    try:
        with session.transaction():
            setting = session.setting()
            setting.demo = True
            # The referrer block of every incident report (Ofcom's drama range: never a real number).
            setting.referrer = {
                "name": DEMO_USER,
                "role": "Designated Safeguarding Lead",
                "phone": "01632 960000",
                "email": "dsl@riverside-demo.example",
            }
            session.settings.save(setting, summary="marked as a demo store of fictional data")
            accounts = _accounts(session)
            pupils = _consents(session)
            _incidents(session, pupils)
            _leaver(session, pupils)
            _forms(session, accounts)
    finally:
        session.close()
    return recovery


def open_demo(folder: Path) -> Session:
    return Session.open(folder, DEMO_PASSPHRASE)


def _ago(days: int = 0, hours: int = 0) -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=days, hours=hours)


def _consents(session: Session) -> dict[str, int]:
    from safedesk.store.consents.pupils import (
        ConsentChange,
        ConsentStatus,
        NeverPublish,
        Pupil,
        Purpose,
        add_pupil,
        record_consent,
        set_never_publish,
    )

    today = local_today()
    ids: dict[str, int] = {}
    for n, (name, year, form) in enumerate(_PUPILS):
        pupil = add_pupil(session, Pupil(name=name, year_group=year, form=form, mis_id=f"DEMO{n:04d}"))
        ids[name] = pupil.id or 0
        changes = []
        for k, purpose in enumerate(Purpose):
            status = ConsentStatus.REFUSED if (n + k) % 7 == 0 else ConsentStatus.GRANTED
            review = today + timedelta(days=20) if n == 3 else today + timedelta(days=300)
            changes.append(
                ConsentChange(
                    purpose=purpose,
                    status=status,
                    given_by=f"Parent of {name.split()[0]}",
                    relationship="Parent",
                    parental_responsibility=True,
                    given_on=today - timedelta(days=60),
                    recorded_how="paper form (demo)",
                    review_on=review,
                    recorded_at=_ago(60),
                )
            )
        record_consent(session, pupil.id or 0, changes)
    set_never_publish(session, ids["Grace Nowak"], NeverPublish.LOOKED_AFTER)
    set_never_publish(session, ids["Jayden Brown"], NeverPublish.COURT_ORDER)
    return ids


def _accounts(session: Session) -> dict[str, int]:
    from safedesk.store.accounts.register import Account, Admin, ChangeReason, Credential, Mfa, Register, StaffMember, Status

    register = Register(session)
    today = local_today()
    head = register.add_staff(StaffMember(name="Priya Shah (demo)", role="Headteacher", slt=True))
    deputy = register.add_staff(StaffMember(name="Tom Greene (demo)", role="Deputy head", slt=True))
    office = register.add_staff(StaffMember(name="Jo Lee (demo)", role="Office manager"))
    teacher = register.add_staff(StaffMember(name="Sam Rivers (demo)", role="Year 6 teacher"))
    facebook = register.propose(
        Account(
            platform="Facebook Page",
            name="Riverside Primary (demo)",
            purpose="News, events and celebrations for families",
            audience="Parents and carers",
            owner_id=head.id,
            runner_ids=(office.id or 0, deputy.id or 0),
            devices=("Office iPad",),
            pupil_images=True,
            review_on=today + timedelta(days=40),
            policy_read=True,
            training_done=True,
        )
    )
    register.decide(facebook.id or 0, approved=True, by_id=head.id, on=today - timedelta(days=400))
    register.add_admin(
        facebook.id or 0,
        Admin(staff_id=office.id or 0, added_on=today - timedelta(days=390), aup_signed=True, training_done=True),
    )
    register.add_admin(facebook.id or 0, Admin(staff_id=teacher.id or 0, added_on=today - timedelta(days=200), aup_signed=True))
    register.set_status(facebook.id or 0, Status.ACTIVE)
    login = register.add_credential(
        Credential(
            account_id=facebook.id or 0,
            login="office@riverside.demo",
            password="demo-only-not-real-7Kq!",
            mfa=Mfa.APP,
            factor_holder="Office iPad",
            recovery_email="office@riverside.demo",
            recovery_email_school=True,
        ),
        on=today - timedelta(days=120),
    )
    register.change_password(login.id or 0, "demo-rotated-2-not-real", ChangeReason.REVIEW, today - timedelta(days=30))
    x_account = register.propose(
        Account(
            platform="X (Twitter)",
            name="@RiversideSportDemo",
            purpose="Match results",
            owner_id=deputy.id,
            runner_ids=(teacher.id or 0, deputy.id or 0),
        )
    )
    register.decide(x_account.id or 0, approved=True, by_id=head.id, on=today - timedelta(days=100))
    register.add_admin(x_account.id or 0, Admin(staff_id=teacher.id or 0, added_on=today - timedelta(days=99)))
    register.set_status(x_account.id or 0, Status.ACTIVE)
    register.add_credential(
        Credential(
            account_id=x_account.id or 0,
            login="sport@riverside.demo",
            password="demo-x-not-real",
            mfa=Mfa.SMS,
            factor_holder="Sam's own phone",
            factor_personal_phone=True,
        ),
        on=today - timedelta(days=99),
    )
    register.propose(Account(platform="YouTube", name="Riverside Music (demo)", purpose="Concert recordings", pupil_images=True))
    register.mark_left(teacher.id or 0, today - timedelta(days=5))
    return {"facebook": facebook.id or 0, "x": x_account.id or 0}


def _incidents(session: Session, pupils: dict[str, int]) -> None:
    from safedesk.store.incidents.evidence import Evidence, add_description, add_file
    from safedesk.store.incidents.log import IncidentLog, checklist_from
    from safedesk.store.incidents.records import Escalation, Incident, Person

    log = IncidentLog(session)
    comment = log.create(
        Incident(
            title="Parent's comment naming a teacher on the school Facebook page",
            reported_at=_ago(2, 3),
            occurred_at=_ago(2, 5),
            reported_by="Jo Lee (office, demo)",
            platform="facebook",
            urls=("https://facebook.example/riverside/posts/123",),
            where_seen="Comments under the sports day post",
            description="A parent wrote that the Year 6 teacher 'should be sacked' "
            "and named them. Two other parents replied agreeing.",
            people=(Person(name="Parent of Ben Carter", role="parent", involvement="subject"),),
            risk_row="conduct",
            risk_column="aggressive",
            severity="medium",
            flags=("official_channel_affected",),
            playbooks=("pb-complaint-on-official-channel", "pb-parent-negative-comment"),
            review_date=local_today() + timedelta(days=2),
        ),
        actions=checklist_from(("pb-complaint-on-official-channel",)),
        triage_answers=(("Is a child in danger right now?", "No, or not sure"), ("Where is it?", "Post on our account")),
    )
    first = log.actions(comment.id or 0)
    log.complete_action(first[0].id or 0, note="screenshot saved by the office")
    log.reschedule_action(first[1].id or 0, "Priya Shah (demo)", local_today() - timedelta(days=1), "head to decide")
    log.escalate(
        Escalation(
            incident_id=comment.id or 0,
            target="platform_report",
            at=_ago(2, 1),
            reference="FB-DEMO-4471",
            result="Comment hidden; report acknowledged",
        )
    )
    with tempfile.TemporaryDirectory(prefix="safedesk-demo-evidence-") as scratch:
        shot = Path(scratch) / "comment-screenshot-demo.txt"
        shot.write_text(
            "DEMO EVIDENCE (fictional): a text stand-in for a screenshot of the comment under the sports day post.\n",
            encoding="utf-8",
        )
        add_file(session, comment.id or 0, shot, title="Screenshot of the comment (demo)", captured_by="Jo Lee (demo)")
    log.amend(comment.id or 0, {"severity": "high"}, reason="More parents joined in overnight")
    log.add_note(
        comment.id or 0,
        "Head teacher phoned the parent, who agreed to take the comment down and come in to talk (written up the next day).",
        happened_at=_ago(2, 2),
    )

    nudes = log.create(
        Incident(
            title="Pupil says an image of a classmate is being shared",
            reported_at=_ago(1, 2),
            reported_by="Year 6 teacher (demo)",
            platform="snapchat",
            where_seen="Pupils' group chat (not viewed by staff)",
            description="A pupil told the class teacher that an image of another pupil is going round a group chat. No member of staff has seen it.",
            people=(
                Person(name="Amara Okafor", role="pupil", involvement="victim", pupil_id=pupils["Amara Okafor"]),
                Person(name="Unknown sender", role="unknown", involvement="subject"),
            ),
            risk_row="contact",
            risk_column="sexual",
            severity="critical",
            flags=("sexual_imagery_suspected",),
            harm_categories=("sexual",),
            parents_informed_at=_ago(1, 1),
            parents_informed_by="DSL (demo)",
            playbooks=("pb-nude-image-of-child",),
        ),
        actions=checklist_from(("pb-nude-image-of-child",)),
    )
    add_description(
        session,
        Evidence(
            incident_id=nudes.id or 0,
            kind="description",
            title="Image in a group chat (not viewed)",
            description="Described by the pupil who reported it: a photo of a classmate, shared since last night.",
            where_seen="Pupil group chat",
            holder="Pupils' phones; not seized",
        ),
    )
    log.escalate(
        Escalation(
            incident_id=nudes.id or 0,
            target="social_care",
            at=_ago(1, 1),
            contact_name="Front door duty worker (demo)",
            reference="CSC-DEMO-88",
        )
    )

    fake = log.create(
        Incident(
            title="Fake Instagram account using the school logo",
            reported_at=_ago(20),
            platform="instagram",
            reported_by="A parent (demo)",
            description="An account called riverside_primary_official is posting jokes about staff using the school badge.",
            risk_row="content",
            risk_column="values",
            severity="medium",
            flags=("official_channel_affected",),
            playbooks=("pb-fake-account",),
        ),
        actions=checklist_from(("pb-fake-account",)),
    )
    log.set_status(
        fake.id or 0,
        "closed",
        outcome="Reported as impersonation; Instagram removed the account after four days.",
        lessons="Link the official accounts from the school website, so parents can tell the real one from a fake.",
        open_actions="not_needed",
    )

    gaming_pupils = (
        Person(name="Daniyal Hussain", role="pupil", involvement="victim", pupil_id=pupils["Daniyal Hussain"]),
        Person(name="Finn O'Sullivan", role="pupil", involvement="subject", pupil_id=pupils["Finn O'Sullivan"]),
    )
    for days, title, platform, people in (
        (45, "Unkind comments between Year 5 pupils in a gaming chat", "discord", gaming_pupils),
        (90, "Viral 'challenge' video worrying parents", "tiktok", ()),
        (150, "Journalist asked about a post on the PTA group", "facebook", ()),
    ):
        log.create(
            Incident(
                title=title, reported_at=_ago(days), platform=platform, reported_by="DSL (demo)", status="open", people=people
            )
        )


def _leaver(session: Session, pupils: dict[str, int]) -> None:
    """A pupil who moved school two days ago, with an incident about her and her child protection
    file not yet sent: trainers see "transfer due" on home and can practise the handover."""
    from safedesk.store.consents.pupils import mark_left
    from safedesk.store.handover.leavers import record_left
    from safedesk.store.incidents.log import IncidentLog
    from safedesk.store.incidents.records import Incident, Person

    left = local_today() - timedelta(days=LEFT_DAYS_AGO)
    log = IncidentLog(session)
    contact = log.create(
        Incident(
            title="Stranger asked a Year 4 pupil for photos in an online game",
            reported_at=_ago(30),
            platform="other",
            where_seen="An online game's chat (Roblox)",
            reported_by="Class teacher (demo)",
            description="The pupil told her teacher that another player asked for photos and to move to a private chat. "
            "She did not send any. Parents informed the same day; the account was reported to the game.",
            people=(Person(name=LEAVER, role="pupil", involvement="victim", pupil_id=pupils[LEAVER]),),
            risk_row="contact",
            risk_column="sexual",
            severity="high",
            parents_informed_at=_ago(30),
            parents_informed_by="DSL (demo)",
        )
    )
    log.set_status(
        contact.id or 0,
        "closed",
        outcome="Player reported and blocked; online safety session with the class.",
        open_actions="not_needed",
    )
    mark_left(session, pupils[LEAVER], left)
    record_left(session, (pupils[LEAVER],), left)


def _forms(session: Session, accounts: dict[str, int]) -> None:
    from safedesk.store.forms.filled import FormBook

    book = FormBook(session)
    form = book.create("web-tool-risk-assessment", "Facebook Page risk assessment (demo)", accounts.get("facebook"))
    prefix = "form-web-tool-risk-assessment/about-the-service/"
    book.save_draft(
        form.id or 0,
        {
            prefix + "name-s-of-the-staff-completing-this-asse": "Alex Morgan, Priya Shah (demo)",
            prefix + "name-and-web-address-of-the-site-or-serv": "Facebook Page, facebook.example/riverside",
            prefix + "what-the-site-or-service-is-and-does": "The school's page for news and celebrations.",
        },
    )
    book.new_version(form.id or 0, assessed_on=local_today() - timedelta(days=340))
