"""Domain services: what the community does. No platform imports, no scheduler."""
