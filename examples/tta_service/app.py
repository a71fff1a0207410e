"""A small TTA service to demonstrate and test tta_otel.

It has nothing to do with telemetry: run it under ``opentelemetry-instrument`` and the
tta_otel distro makes it observable. Like a real service written in a hurry, it logs
values it should not and puts player data in exception messages; the privacy policy is
what keeps that data out of the telemetry.

    opentelemetry-instrument uvicorn examples.tta_service.app:app --port 8000
"""

from __future__ import annotations

import asyncio
import logging
import os
import random

import redis.asyncio as redis
from fastapi import FastAPI, Header, HTTPException, Request, WebSocket, WebSocketDisconnect

from tta_otel import ai

logger = logging.getLogger("tta.player_api")
logger.setLevel(logging.INFO)

app = FastAPI(title="TTA example service")
store = redis.Redis.from_url(os.environ.get("TTA_REDIS_URL", "redis://127.0.0.1:6379/0"))


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
    logger.info("player %s (%s, %s) reached scene %d", player_id, email, x_player_phone, visits)
    return {"player": player_id, "scene": f"scene-{visits}", "visits": visits}


@app.post("/players/{player_id}/choices")
async def make_choice(player_id: str, request: Request) -> dict[str, str]:
    body = await request.json()
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
async def stream(websocket: WebSocket, player_id: str) -> None:
    """A narrative stream: every message from the player gets the next line of the story."""
    await websocket.accept()
    try:
        while True:
            await websocket.receive_text()
            await websocket.send_text("The story goes on.")
    except WebSocketDisconnect:
        logger.info("player %s left the stream", player_id)
