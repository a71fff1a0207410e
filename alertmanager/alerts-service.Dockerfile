# The escalation service, `tta-otel alerts serve`, as docker compose's tta-otel-alerts image.
# Natively it runs from the checkout's environment (docs/alerting-escalation.md).
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim
COPY pyproject.toml README.md /src/
COPY tta_otel /src/tta_otel
RUN pip install --no-cache-dir /src && rm -rf /src \
    && useradd --uid 10002 --no-create-home tta-otel \
    && mkdir -p /var/lib/tta-otel-alerts && chown tta-otel /var/lib/tta-otel-alerts
USER tta-otel
ENTRYPOINT ["tta-otel", "alerts", "serve"]
