"""`python -m bench accounts`: the account register's health check and password changes.

At each register size it fills a store (staff, accounts with three admins, a login each
with a password history), then times in the same run:
- reading the register (accounts, staff and logins: what any screen of it must do),
- the whole-register health check (what the home screen and the register screen run),
- a password change (validated, history kept, audited, committed) against a plain
  record update of the same login (the store's own cost of a commit).
The ratios say what the health rules and the password history add on top.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

from bench.stats import median, ms, percentile, time_each
from safedesk.store.accounts.health import check_register
from safedesk.store.accounts.register import Account, Admin, ChangeReason, Credential, Mfa, Register, StaffMember, Status
from safedesk.store.accounts.secrets import GeneratorOptions, Kind, generate
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.session import OpenOptions, Session

PASSPHRASE = "correct horse battery staple"


def _fill(folder: Path, accounts: int) -> Session:
    session, _ = Session.create(folder, "Bench Primary", "Bench DSL", PASSPHRASE, OpenOptions(kdf=crypto.fast_params_for_tests()))
    fill_accounts(session, accounts)
    session.vault.compact()
    return session


def fill_accounts(session: Session, accounts: int) -> None:
    """Staff, approved active accounts with three admins each, and a login with ten past passwords."""
    register = Register(session)
    today = date.today()
    with session.transaction():
        staff = [
            register.add_staff(StaffMember(name=f"Staff {i}", role="Teacher", slt=i % 10 == 0))
            for i in range(max(30, accounts // 2))
        ]
        slt = [s for s in staff if s.slt]
        for i in range(accounts):
            account = register.propose(
                Account(
                    platform="Facebook Page",
                    name=f"@OakClass{i}",
                    purpose="Class news and photos of trips",
                    owner_id=slt[i % len(slt)].id,
                    runner_ids=(staff[(i + 1) % len(staff)].id or 0, staff[(i + 2) % len(staff)].id or 0),
                    devices=("Office iPad",),
                    review_on=today + timedelta(days=i % 200),
                )
            )
            register.decide(account.id or 0, approved=True, by_id=slt[0].id, on=today)
            for k in range(3):
                register.add_admin(
                    account.id or 0, Admin(staff_id=staff[(i + k) % len(staff)].id or 0, added_on=today - timedelta(days=90))
                )
            register.set_status(account.id or 0, Status.ACTIVE)
            login = register.add_credential(
                Credential(account_id=account.id or 0, login=f"class{i}@oak.sch.uk", password=f"start-{i}", mfa=Mfa.APP),
                on=today - timedelta(days=80),
            )
            for n in range(10):
                register.change_password(login.id or 0, f"value-{i}-{n}", ChangeReason.REVIEW, today - timedelta(days=70 - n))


def bench_size(accounts: int, samples: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="safedesk-bench-accounts-"))
    try:
        session = _fill(work / "store", accounts)
        register = Register(session)

        def read(_i: int) -> None:
            register.accounts()
            register.staff_by_id()
            register.credentials()

        reads = time_each(read, samples)
        checks = time_each(lambda _i: check_register(session), samples)
        login_ids = [c.id or 0 for c in register.credentials()]
        changes = time_each(
            lambda i: register.change_password(login_ids[i % len(login_ids)], f"bench-{i}", ChangeReason.REVIEW), samples
        )

        def plain_update(i: int) -> None:
            credential = register.credential(login_ids[i % len(login_ids)])
            credential.notes = f"note {i}"
            register.credentials_repo.save(credential)

        updates = time_each(plain_update, samples)
        findings = len(check_register(session))
        session.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "read_p50": median(reads),
        "check_p50": median(checks),
        "check_p95": percentile(checks, 95),
        "change_p50": median(changes),
        "change_p95": percentile(changes, 95),
        "update_p50": median(updates),
        "findings": findings,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench accounts")
    parser.add_argument("--sizes", default="10,100,500", help="accounts in the register")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args(argv)

    print(
        f"{'accounts':>8} {'read p50':>11} {'health p50':>11} {'p95':>11} {'ratio':>7} {'pw change p50':>14} {'p95':>11} {'update p50':>11} {'ratio':>7}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        r = bench_size(size, args.samples)
        print(
            f"{size:>8} {ms(r['read_p50']):>11} {ms(r['check_p50']):>11} {ms(r['check_p95']):>11} "
            f"{r['check_p50'] / r['read_p50']:>6.2f}x {ms(r['change_p50']):>14} {ms(r['change_p95']):>11} "
            f"{ms(r['update_p50']):>11} {r['change_p50'] / r['update_p50']:>6.2f}x   ({r['findings']} findings)"
        )
    words = time_each(lambda _i: generate(), 2000)
    chars = time_each(lambda _i: generate(GeneratorOptions(kind=Kind.CHARACTERS, length=20)), 2000)
    print()
    print(f"generator: 6 EFF words p50 {median(words) * 1000:.1f} µs, 20 characters p50 {median(chars) * 1000:.1f} µs")
    print("health p50 includes reading the register (ratio = health / read: the rules' own cost).")
    print("pw change = the new password, its history row, two audit entries, one commit (ratio = / one plain update).")
    print("Target: health check <= 20 ms at 100 accounts (a large trust); reading records dominates beyond that.")
    return 0
