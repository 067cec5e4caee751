"""What the Discord adapter itself says: start-up lines and the notes it adds to answers."""

from __future__ import annotations

INTENTS_ON = ("discord: intents: guilds, guild messages, reactions, voice states, "
              "message content ON: chat text is read, so message points also apply the "
              "minimum length and near-duplicate rules")
INTENTS_OFF = ("discord: intents: guilds, guild messages, reactions, voice states; message "
               "content OFF: guild messages arrive without text, so they earn points by the "
               "cooldown rule only (turn on discord.message_content and the Message Content "
               "intent in the Developer Portal to apply the text rules)")
NOT_GRANTED = ("Discord refused the connection: the bot asks for the privileged Message "
               "Content intent, which is not enabled for it. Either enable it in the Discord "
               "Developer Portal (your application > Bot > Privileged Gateway Intents > "
               "Message Content Intent) or set discord.message_content = false "
               "(COHORT_DISCORD__MESSAGE_CONTENT=false).")
DMS_REOPENED = ("I couldn't DM you reminders earlier: your direct messages were closed. "
                "I'll try again now; allow DMs from this server's members to get them.")
FILE_FAILED = "I couldn't send you the file {name}: Discord refused it. Please try again later."
NO_DOWNLOAD = "I could not download `{name}` from Discord; please attach it again."
