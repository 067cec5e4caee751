"""Platform adapters: each translates one platform to the neutral core and back."""
