"""Cohort: a community assistant for Discord, Telegram and the console."""
