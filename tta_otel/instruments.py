"""Instruments made from their definitions in ``tta_otel.semconv``, one way everywhere.

``semconv`` is a leaf without OpenTelemetry imports; these functions turn one of its
``Instrument`` definitions into the API instrument, so that name, unit, description and bucket
advice are never restated where an instrument is created.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.metrics import CallbackT, Counter, Histogram, Meter, UpDownCounter

from tta_otel.semconv import Instrument, Kind


def counter(meter: Meter, instrument: Instrument) -> Counter:
    return meter.create_counter(instrument.name, unit=instrument.unit, description=instrument.description)


def up_down_counter(meter: Meter, instrument: Instrument) -> UpDownCounter:
    return meter.create_up_down_counter(instrument.name, unit=instrument.unit, description=instrument.description)


def histogram(meter: Meter, instrument: Instrument) -> Histogram:
    """A histogram with the definition's bucket advice (the SDK's defaults when it has none)."""
    return meter.create_histogram(
        instrument.name,
        unit=instrument.unit,
        description=instrument.description,
        explicit_bucket_boundaries_advisory=list(instrument.buckets) or None,
    )


def observe(meter: Meter, instrument: Instrument, callbacks: Sequence[CallbackT]) -> None:
    """The asynchronous instrument of the definition's kind, reporting what ``callbacks`` observe."""
    create = {
        Kind.COUNTER: meter.create_observable_counter,
        Kind.UP_DOWN_COUNTER: meter.create_observable_up_down_counter,
        Kind.GAUGE: meter.create_observable_gauge,
    }[instrument.kind]
    create(instrument.name, callbacks=list(callbacks), unit=instrument.unit, description=instrument.description)
