"""A small TTA service to demonstrate and test tta_otel.

It has nothing to do with telemetry: run it under ``opentelemetry-instrument`` and the
tta_otel distro makes it observable. Like a real service written in a hurry, it logs
values it should not and puts player data in exception messages; the privacy policy is
what keeps that data out of the telemetry.

Its only line about telemetry mounts ``/healthz`` and ``/readyz`` (``tta_otel.health``); the
Redis client and the Neo4j driver below are registered for health checks by the
instrumentations, without a line here.

    opentelemetry-instrument uvicorn examples.tta_service.app:app --port 8000
"""

from __future__ import annotations

import asyncio
import logging
import os
import random

import neo4j
import redis.asyncio as redis
from fastapi import FastAPI, Header, HTTPException, Request, WebSocket, WebSocketDisconnect
from opentelemetry import trace

from tta_otel import ai, engagement
from tta_otel.health.routes import router as health_router

logger = logging.getLogger("tta.player_api")
logger.setLevel(logging.INFO)

app = FastAPI(title="TTA example service")
app.include_router(health_router)
store = redis.Redis.from_url(os.environ.get("TTA_REDIS_URL", "redis://127.0.0.1:6379/0"))
# The story graph lives in Neo4j when TTA_NEO4J_URI names one (the demo and the stack tests start one).
graph = (
    neo4j.AsyncGraphDatabase.driver(os.environ["TTA_NEO4J_URI"], auth=None) if "TTA_NEO4J_URI" in os.environ else None
)
COMPLETED_AFTER_MESSAGES = 3


class StoryUnavailableError(RuntimeError):
    """The next scene could not be delivered to the player."""


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/players/{player_id}/scene")
async def next_scene(
    player_id: str,
    request: Request,
    email: str | None = None,
    x_player_phone: str | None = Header(default=None),
) -> dict[str, object]:
    visits = await store.incr(f"visits:{player_id}")
    await store.set(f"last-scene:{player_id}", f"scene-{visits}")
    if graph is not None:
        # Careless string formatting puts the player's e-mail in a Cypher literal; the
        # instrumentation replaces every literal with ? before the query text is recorded.
        await graph.execute_query(
            f"MERGE (p:Player {{email: '{email}'}}) MERGE (s:Scene {{name: $scene}}) MERGE (p)-[:VISITED]->(s)",
            scene=f"scene-{visits}",
        )
    logger.info("player %s (%s, %s) reached scene %d", player_id, email, x_player_phone, visits)
    return {"player": player_id, "scene": f"scene-{visits}", "visits": visits}


@app.post("/players/{player_id}/choices")
async def make_choice(player_id: str, request: Request) -> dict[str, str]:
    body = await request.json()
    # A careless attribute: the player's free-text answer under a key the privacy policy does not
    # list. Default-deny replaces its value with [REDACTED:unlisted] before it leaves the process.
    trace.get_current_span().set_attribute("tta.answer", str(body.get("choice", "")))
    await store.rpush(f"choices:{player_id}", str(body.get("choice", "")))
    return {"status": "recorded"}


@app.get("/players/{player_id}/fail")
async def fail(player_id: str, email: str | None = None) -> dict[str, str]:
    try:
        raise StoryUnavailableError(f"no scene for player {player_id} <{email}>")
    except StoryUnavailableError:
        logger.exception("scene delivery failed for %s", email)
        raise HTTPException(status_code=503, detail="story unavailable") from None


@app.get("/players/{player_id}/crash")
async def crash(player_id: str, email: str | None = None) -> dict[str, str]:
    raise RuntimeError(f"narrative engine crashed while serving {email}")


@app.post("/players/{player_id}/narrate")
async def narrate(player_id: str, request: Request) -> dict[str, str]:
    """A fake language-model call that carelessly offers its prompt to the telemetry."""
    body = await request.json()
    model = str(body.get("model", "fake-narrator-1"))
    async with ai.inference(
        model=model, provider="fake", attributes={"gen_ai.prompt": str(body.get("prompt", ""))}
    ) as call:
        await asyncio.sleep(random.uniform(0.02, 0.08) * (2 if model == "fake-narrator-1" else 1))
        call.record_response(model=f"{model}-2026-11", finish_reasons=["stop"])
        call.record_usage(input_tokens=42, output_tokens=128)
    return {"scene": "The forest path opens onto a quiet lake."}


@app.websocket("/players/{player_id}/stream")
async def stream(websocket: WebSocket, player_id: str, cohort: str = "pilot") -> None:
    """A narrative stream: every message from the player gets the next line of the story.
    The stream is the player's session for the engagement analytics."""
    session = f"{player_id}:{id(websocket)}"
    await websocket.accept()
    engagement.track("session_start", session=session, cohort=cohort, scenario="forest")
    messages = 0
    try:
        while True:
            await websocket.receive_text()
            messages += 1
            engagement.track("interaction", session=session)
            if messages == COMPLETED_AFTER_MESSAGES:
                engagement.track("journey_step", session=session, journey_step="reflection")
                engagement.track("completion", session=session)
            await websocket.send_text("The story goes on.")
    except WebSocketDisconnect:
        logger.info("player %s left the stream", player_id)
    finally:
        engagement.track("session_end", session=session, progress=min(1.0, messages / 5))
