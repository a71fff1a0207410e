"""Checks that turn a pattern's candidate into a finding.

RE2 cannot express a checksum, so the policy pairs some patterns with a validator: the
in-process redactor only replaces a candidate that the validator accepts, which keeps
ordinary numbers (byte counts, ids) out of the placeholders. The collector cannot run
these checks and redacts every candidate instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

Validator = Callable[[str], bool]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def luhn(candidate: str) -> bool:
    """Payment card numbers: 13 to 19 digits whose Luhn checksum is zero."""
    digits = _digits(candidate)
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_mod97(candidate: str) -> bool:
    """IBANs: the ISO 13616 check, the rearranged number modulo 97 equals 1."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def us_ssn(candidate: str) -> bool:
    """US Social Security numbers: area 000, 666 and 900-999, group 00 and serial 0000 are never issued."""
    area, group, serial = candidate.split("-")
    return area not in {"000", "666"} and not area.startswith("9") and group != "00" and serial != "0000"


def client_ip(candidate: str) -> bool:
    """IP addresses that could identify a client: everything but loopback and the unspecified address."""
    if ":" not in candidate:  # a dotted quad, already checked octet by octet by the pattern
        return not (candidate.startswith("127.") or candidate == "0.0.0.0")
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


VALIDATORS: dict[str, Validator] = {
    "luhn": luhn,
    "iban_mod97": iban_mod97,
    "us_ssn": us_ssn,
    "client_ip": client_ip,
}
