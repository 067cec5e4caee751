"""The web side of Cohort: HTTP routes served next to the chat adapters."""
