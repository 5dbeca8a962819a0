"""The password rule (NCSC length, common passwords) and scrypt hashing with its recorded cost."""

from __future__ import annotations

import time
from importlib import resources

import pytest

from followup import passwords
from followup.errors import FollowupError
from followup.passwords import (
    ScryptCost,
    check_new_password,
    hash_cost,
    hash_password,
    is_common_password,
    needs_rehash,
    new_password_problem,
    verify_password,
)


def test_password_hash_is_scrypt_salted_and_verifies():
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one.startswith("scrypt$") and one != two
    assert verify_password("correct horse", one)
    assert not verify_password("wrong horse", one)
    assert not verify_password("anything", "garbage")
    assert not verify_password("anything", "")


def test_the_hash_records_its_cost_and_an_older_cost_needs_rehashing():
    old = hash_password("correct horse", ScryptCost(n=2**4, r=8, p=1))
    assert hash_cost(old) == ScryptCost(2**4, 8, 1)
    assert verify_password("correct horse", old)
    assert needs_rehash(old)
    assert not needs_rehash(hash_password("correct horse"))


def test_the_dummy_hash_is_at_the_current_cost_and_matches_nothing():
    dummy = passwords.dummy_hash()
    assert hash_cost(dummy) == passwords.SCRYPT_COST
    assert dummy != passwords.dummy_hash()
    assert not verify_password("", dummy) and not verify_password("anything", dummy)


def test_a_stored_hash_with_an_absurd_cost_is_refused_without_running_it():
    good = hash_password("correct horse")
    _, _, r, p, salt, digest = good.split("$")
    for n in (str(2**30), "3", "0", "-8", "x"):
        planted = "$".join(("scrypt", n, r, p, salt, digest))
        started = time.perf_counter()
        assert not verify_password("correct horse", planted)
        assert time.perf_counter() - started < 0.5
    assert hash_cost(good.replace("scrypt$", "bcrypt$")) is None


def test_short_passwords_are_refused_with_the_ncsc_advice():
    problem = new_password_problem("eleven-char")
    assert problem is not None
    assert "at least 12 characters" in problem and "three random words" in problem
    assert "NCSC" in problem
    with pytest.raises(FollowupError, match="at least 12 characters"):
        check_new_password("")


@pytest.mark.parametrize("common", ["qwerty123456", "QWERTY123456", "1qaz2wsx3EDC"])
def test_common_passwords_are_refused_whatever_their_case(common):
    assert is_common_password(common)
    with pytest.raises(FollowupError, match="most common"):
        check_new_password(common)


def test_one_character_over_and_over_is_refused():
    with pytest.raises(FollowupError, match="most common"):
        check_new_password("aaaaaaaaaaaaaaaa")


def test_three_random_words_will_do():
    assert new_password_problem("kettle-orbit-marmalade") is None
    assert new_password_problem("Kettle Orbit Marmalade") is None
    check_new_password("kettleorbitmarmalade")


def test_the_common_list_ships_lower_case_with_its_licence_beside_it():
    folder = resources.files("followup").joinpath("resources")
    lines = folder.joinpath("common-passwords.txt").read_text("utf-8").splitlines()
    assert len(lines) == 10_000 == len(set(lines))
    assert lines[:2] == ["123456", "password"]
    assert all(line == line.strip().lower() and line for line in lines)
    licence = folder.joinpath("common-passwords.LICENSE.txt").read_text("utf-8")
    assert "MIT License" in licence and "zxcvbn" in licence
    assert len(passwords.common_passwords()) == 10_000
