"""The Prometheus names of the series our instruments become, for every query we write.

Prometheus's OTLP receiver turns ``tta.energy`` (unit ``J``, monotonic) into
``tta_energy_joules_total`` and attribute keys such as ``gen_ai.request.model`` into
``gen_ai_request_model``. The reports, alert rules and dashboards query these names; a
stack test sends real telemetry through the collector and proves Prometheus has them.
"""

from __future__ import annotations

import json
from typing import Final

ENERGY: Final = "tta_energy_joules_total"
EMISSIONS: Final = "tta_carbon_emissions_grams_total"
INTENSITY: Final = "tta_carbon_intensity_grams_per_kWh"
BUDGET: Final = "tta_carbon_budget_grams"
OPERATION_DURATION: Final = "gen_ai_client_operation_duration_seconds"
TOKEN_USAGE: Final = "gen_ai_client_token_usage"
ERRORS: Final = "tta_errors_total"
TIME_TO_RESOLVE: Final = "tta_error_time_to_resolve_seconds"
HW_ENERGY: Final = "hw_energy_joules_total"
HW_POWER: Final = "hw_power_watts"

COMPONENT: Final = "tta_component"
ENVIRONMENT: Final = "deployment_environment_name"
SOURCE: Final = "tta_energy_source"
MODEL: Final = "gen_ai_request_model"
ERROR_TYPE: Final = "error_type"
FINGERPRINT: Final = "tta_error_fingerprint"
CRITICAL: Final = "tta_error_critical"


def environment_matcher(environment: str) -> str:
    """``deployment_environment_name="..."``, quoted as PromQL (JSON's escaping) so any name is safe."""
    return f"{ENVIRONMENT}={json.dumps(environment)}"
