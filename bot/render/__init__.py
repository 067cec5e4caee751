"""Charts, rank cards and the HTML report; imported only by handlers and the CLI."""
