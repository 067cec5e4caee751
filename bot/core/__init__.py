"""The platform-neutral core: vocabulary, command declarations, parser, dispatcher."""

from bot.core.clock import Clock, FixedClock, OffsetClock, SystemClock
from bot.core.commands import Command, Context, Option, OptionKind, Where
from bot.core.dispatch import Dispatcher, InputLimits, Listener, MessageContext
from bot.core.errors import BotError, DeliveryFailed, DeliveryFailure, NotPermitted, UserError
from bot.core.model import (
    Attachment,
    Button,
    FileOut,
    Incoming,
    Member,
    Place,
    Platform,
    Reply,
    UserRef,
)
from bot.core.ports import Directory, InteractionKind, InteractionSink, Messenger

__all__ = [
    "Attachment",
    "BotError",
    "Button",
    "Clock",
    "Command",
    "Context",
    "DeliveryFailed",
    "DeliveryFailure",
    "Directory",
    "Dispatcher",
    "FileOut",
    "FixedClock",
    "Incoming",
    "InputLimits",
    "InteractionKind",
    "InteractionSink",
    "Listener",
    "Member",
    "MessageContext",
    "Messenger",
    "NotPermitted",
    "OffsetClock",
    "Option",
    "OptionKind",
    "Place",
    "Platform",
    "Reply",
    "SystemClock",
    "UserError",
    "UserRef",
    "Where",
]
