"""The configured sentence model loads in its own process: torch is never imported here (G13)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from bot.core.clock import SystemClock
    from bot.services.recommendations.model import Model
    from config.settings import RecommenderSettings
    from recommender.remote import RemoteEncoder

    async def main():
        model = Model(SystemClock(), RecommenderSettings(preload_seconds=0))
        model.start()
        encoder = await model.ready()
        assert isinstance(encoder, RemoteEncoder), encoder
        assert encoder.encode(["Rust for beginners"]).shape == (1, 384)
        child = encoder._child
        await model.aclose()
        assert child.wait(30) == 0  # its input closed: it ended on its own
        print("torch" in sys.modules, "sentence_transformers" in sys.modules)

    asyncio.run(main())
""")


def test_the_bot_process_never_imports_torch_and_the_child_ends_with_it() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False"]
