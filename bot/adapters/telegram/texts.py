"""What the Telegram adapter itself says: the welcome and the notes it adds to answers."""

from __future__ import annotations

WELCOME = ("Hello! I'm Cohort, your community's assistant. I can DM you reminders and "
           "recommendations here now. Send /help to see what I can do.")
SENT_DM = "I sent you the answer in a DM."
NO_DM = ("That answer is only for you, and I can't DM you yet: open {link} and press Start, "
         "and I'll send it there.")
FILE_FAILED = "I couldn't send you the file {name}: Telegram refused it. Please try again later."
