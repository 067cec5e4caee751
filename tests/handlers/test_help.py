"""/help through the real dispatcher."""

from tests.harness import Chat


async def test_help_lists_what_the_caller_may_run(chat: Chat):
    listing = await chat.text("/help")
    assert "/profile — " in listing and "/forgetme — " in listing
    detail = await chat.text("/help profile")
    assert "Usage: /profile [interests] [timezone] [dms] [digests]" in detail
    assert "Example: /profile" in detail
    assert "no /nothing" in await chat.text("/help nothing")
