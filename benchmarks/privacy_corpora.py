"""Recall on synthetic labelled personal data and secrets, false positives on benign telemetry.

Every value is synthetic (Faker, six locales). Recall: the share of samples whose value no
longer appears in the redacted text. False-positive rate: the share of benign strings changed.
Run: ``python -m benchmarks.privacy_corpora`` (prints JSON).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from faker import Faker

from tta_otel.privacy import load_policy
from tta_otel.privacy.scanner import Scanner

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "ja_JP"]
NAME_FORMS = [
    "patient_name: {v}",
    "name={v}, scene=3",
    '{{"display_name": "{v}"}}',
    "full name: {v}",
    "firstName='{v}'",
]
ADDRESS_FORMS = ["address: {v}", "home_address={v}", '{{"shipping_address": "{v}"}}', "street: {v}"]


def _recall(scanner: Scanner, samples: list[tuple[str, str]]) -> float:
    hidden = sum(1 for text, value in samples if value not in scanner.redact(text, cap=16384))
    return round(hidden / len(samples), 4)


def _labelled(fake: Faker, forms: list[str], value: Callable[[], str], count: int) -> list[tuple[str, str]]:
    out = []
    for i in range(count):
        v = value().replace("\n", " ").replace('"', "")
        out.append((forms[i % len(forms)].format(v=v), v))
    return out


def _secrets(fake: Faker, count: int) -> list[tuple[str, str]]:
    def s(n: int) -> str:
        return fake.pystr(min_chars=n, max_chars=n)

    makers = [
        lambda: "sk-proj-" + s(48),
        lambda: "sk-ant-api03-" + s(40),
        lambda: "ghp_" + s(36),
        lambda: "github_pat_" + s(40),
        lambda: "glpat-" + s(20),
        lambda: "AKIA" + s(16).upper(),
        lambda: "AIza" + s(35),
        lambda: "xoxb-" + s(30),
        lambda: "sk_live_" + s(24),
        lambda: f"SG.{s(22)}.{s(43)}",
        lambda: "hf_" + s(34),
    ]
    labelled = ["password={v}", "api_key: {v}", '"client_secret": "{v}"', "AWS_SECRET_ACCESS_KEY={v}", "token={v}"]
    out = []
    for i in range(count):
        if i % 2:
            v = makers[i % len(makers)]()
            out.append((f"config loaded with {v} ok", v))
        else:
            v = fake.password(length=16)
            out.append((labelled[i % len(labelled)].format(v=v), v))
    return out


def _obfuscated(fake: Faker, count: int) -> list[tuple[str, str]]:
    out = []
    for i in range(count):
        email = fake.email()
        user, domain = email.split("@")
        forms = [
            f"{user}%40{domain}",
            email.replace("@", "\uff20"),
            "\u200b".join(email),
            f"{user} [at] {domain}",
            f"{user}&#64;{domain}",
            base64.b64encode(f"mail {email}".encode()).decode(),
        ]
        value = forms[i % len(forms)]
        out.append((f"player wrote {value} today", value))
    return out


def benign(fake: Faker, count: int) -> list[str]:
    templates: list[Callable[[], str]] = [
        lambda: f"GET /api/v1/players/{{player_id}}/scenes/{fake.random_int(1, 99)}",
        lambda: f"trace_id={fake.hexify('^' * 32)} span_id={fake.hexify('^' * 16)}",
        lambda: f"request {fake.uuid4()} took {fake.pyfloat(2, 2, True)}ms",
        lambda: f"{fake.iso8601()}Z level=info logger=tta.narrative msg=scene_selected",
        lambda: f'File "/srv/tta/{fake.word()}/{fake.word()}.py", line {fake.random_int(1, 900)}, in {fake.word()}',
        lambda: (
            f"tta-otel {fake.numerify('#.#.#')}, opentelemetry-sdk 1.45.{fake.random_int(0, 9)}, "
            f"v{fake.numerify('#.##.#')}"
        ),
        lambda: f"duration PT{fake.random_int(1, 59)}S p99={fake.random_int(1, 900)}ms",
        lambda: "service.name=tta-player-api span.name=GET /scene host.name=player-api-0",
        lambda: f"redis INCRBY visits:{fake.uuid4()} 1 -> {fake.random_int()}",
        lambda: f"sha256:{fake.sha256()} size={fake.random_int()} bytes",
        lambda: "Traceback (most recent call last): ValueError: invalid choice 'forest' at engine.next_scene",
        lambda: f"max_tokens={fake.random_int(1, 4096)} gen_ai.usage.input_tokens={fake.random_int()}",
        lambda: f"user-agent Mozilla/5.0 build {fake.numerify('##.#.####.##')}",
    ]
    return [templates[i % len(templates)]() for i in range(count)]


def measure(per_locale: int = 200) -> dict[str, object]:
    scanner = Scanner(load_policy().value_patterns)
    names: dict[str, float] = {}
    addresses: dict[str, float] = {}
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(11)
        names[locale] = _recall(scanner, _labelled(fake, NAME_FORMS, fake.name, per_locale))
        addresses[locale] = _recall(scanner, _labelled(fake, ADDRESS_FORMS, fake.address, per_locale))
    fake = Faker("en_US")
    fake.seed_instance(12)
    clean = benign(fake, 5000)
    changed = [t for t in clean if scanner.redact(t) != t]
    return {
        "labelled_name_recall": names,
        "labelled_address_recall": addresses,
        "secret_recall": _recall(scanner, _secrets(fake, 1000)),
        "obfuscated_email_recall": _recall(scanner, _obfuscated(fake, 600)),
        "benign_false_positive_rate": round(len(changed) / len(clean), 4),
        "benign_false_positive_examples": sorted(set(changed))[:5],
        "samples": {"per_locale_each": per_locale, "secrets": 1000, "obfuscated": 600, "benign": len(clean)},
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2, ensure_ascii=False))
